//! `palaver history`: the same history the app shows, from the terminal.

use super::terminal::{one_line, printable};
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use palaver_core::history::{HistoryDb, HistoryError};
use std::io::{BufRead, IsTerminal, Write};

#[derive(Debug, clap::Subcommand)]
pub enum HistoryAction {
    /// Conversations, newest first (pinned on top)
    List {
        #[arg(short = 'n', long, default_value_t = 30)]
        limit: usize,
    },
    /// Search titles and messages (any language; three characters or more use the index)
    Search { query: Vec<String> },
    /// Print a conversation (its shown branch) as Markdown
    Show { id: String },
    /// Export one conversation, or all, as JSON (lossless) or Markdown
    Export {
        id: Option<String>,
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
    },
    /// Import a Palaver export or ChatGPT's conversations.json (again adds nothing new).
    /// Malformed conversations are listed and left out; the exit status is 1 only when
    /// some were left out and none was imported.
    Import { file: std::path::PathBuf },
    /// Delete a conversation, all its versions and its text from the file (asks first)
    Delete {
        id: String,
        /// Do not ask (needed when there is no terminal to ask on)
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Json,
    Markdown,
}

/// A stored time as the person at the terminal reads it: in the system's time zone (`TZ`
/// first, then the system setting), to the minute.
fn date(ms: i64) -> String {
    date_in(ms, &jiff::tz::TimeZone::system())
}

fn date_in(ms: i64, zone: &jiff::tz::TimeZone) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t
            .to_zoned(zone.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => "(no date)".to_owned(),
    }
}

fn fail(e: &HistoryError) -> i32 {
    eprintln!("error: {}", printable(&e.to_string()));
    match e {
        HistoryError::NotFound(_) | HistoryError::Invalid(_) => EXIT_USAGE,
        _ => EXIT_FAILED,
    }
}

pub fn run(action: HistoryAction) -> i32 {
    let db = match HistoryDb::open_default() {
        Ok(db) => db,
        Err(e) => return fail(&e),
    };
    let _ = db.recover_interrupted();
    let result = (|| -> Result<i32, HistoryError> {
        let mut out = std::io::stdout().lock();
        match action {
            HistoryAction::List { limit } => {
                for c in db.list_conversations(limit, 0)? {
                    let pin = if c.pinned { "📌 " } else { "" };
                    let title = one_line(&c.title);
                    let _ = writeln!(out, "{}  {}  {pin}{title}", c.id, date(c.updated_at));
                }
            }
            HistoryAction::Search { query } => {
                let query = query.join(" ");
                let tty = std::io::stdout().is_terminal();
                let (on, off) = if tty {
                    ("\x1b[1m", "\x1b[0m")
                } else {
                    ("«", "»")
                };
                for hit in db.search(&query, 50)? {
                    // The marks are control characters themselves: keep them apart from the
                    // text while it is cleaned, then turn them into the highlight.
                    let snippet: String = hit
                        .snippet
                        .split(palaver_core::history::search_marks::START)
                        .map(|part| {
                            part.split(palaver_core::history::search_marks::END)
                                .map(|text| one_line(text).into_owned())
                                .collect::<Vec<_>>()
                                .join(off)
                        })
                        .collect::<Vec<_>>()
                        .join(on);
                    let title = one_line(&hit.title);
                    let _ = writeln!(out, "{}  {title}: {snippet}", hit.conversation_id);
                }
            }
            HistoryAction::Show { id } => {
                let id = db.find_conversation(&id)?;
                write_markdown(&mut out, &db.export_markdown(&id)?);
            }
            HistoryAction::Export { id, format } => match (format, id) {
                (Format::Markdown, Some(id)) => {
                    let id = db.find_conversation(&id)?;
                    write_markdown(&mut out, &db.export_markdown(&id)?);
                }
                (Format::Markdown, None) => {
                    for c in db.list_conversations(usize::MAX >> 1, 0)? {
                        write_markdown(&mut out, &db.export_markdown(&c.id)?);
                        let _ = write!(out, "\n---\n\n");
                    }
                }
                (Format::Json, id) => {
                    let ids = match id {
                        Some(id) => Some(vec![db.find_conversation(&id)?]),
                        None => None,
                    };
                    let file = db.export(ids.as_deref())?;
                    let json = serde_json::to_string_pretty(&file)
                        .map_err(|e| HistoryError::Invalid(e.to_string()))?;
                    let _ = writeln!(out, "{json}");
                }
            },
            HistoryAction::Import { file } => {
                let bytes = std::fs::read(&file).map_err(|e| {
                    HistoryError::Invalid(format!("cannot read {}: {e}", file.display()))
                })?;
                let report = db.import(&bytes)?;
                eprintln!(
                    "Imported {} conversations ({} messages); {} were already there.",
                    report.conversations_added, report.messages_added, report.conversations_skipped
                );
                for rejected in &report.rejected {
                    eprintln!("Not imported: {}", one_line(&rejected.to_string()));
                }
                if !report.rejected.is_empty() && report.conversations_added == 0 {
                    return Ok(EXIT_FAILED);
                }
            }
            HistoryAction::Delete { id, yes } => {
                let id = db.find_conversation(&id)?;
                let title = db.conversation(&id)?.conversation.title;
                let title = one_line(&title);
                if !yes && !confirm(&format!("Delete “{title}”? [y/N] "))? {
                    eprintln!("Kept “{title}”.");
                    return Ok(EXIT_OK);
                }
                db.delete(&id)?;
                eprintln!("Deleted “{title}”.");
            }
        }
        Ok(EXIT_OK)
    })();
    match result {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

/// Markdown for a person on a terminal has its control sequences removed; piped to a file
/// or a program, it is the conversation exactly.
fn write_markdown(out: &mut impl Write, text: &str) {
    if std::io::stdout().is_terminal() {
        let _ = write!(out, "{}", printable(text));
    } else {
        let _ = write!(out, "{text}");
    }
}

/// Asks a yes/no question on the terminal; no means no. Without a terminal to ask on, this
/// is a usage error: a script must say `--yes`.
fn confirm(question: &str) -> Result<bool, HistoryError> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(HistoryError::Invalid(
            "There is no terminal to ask on; pass --yes to delete without asking.".into(),
        ));
    }
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| HistoryError::Invalid(format!("Could not read the answer: {e}")))?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}

#[cfg(test)]
mod tests {
    use jiff::tz::TimeZone;

    #[test]
    fn dates_are_shown_in_the_given_zone() {
        let utc = TimeZone::UTC;
        assert_eq!(super::date_in(0, &utc), "1970-01-01 00:00");
        assert_eq!(super::date_in(1_700_000_000_000, &utc), "2023-11-14 22:13");
        let india = TimeZone::posix("IST-5:30").unwrap();
        assert_eq!(
            super::date_in(1_700_000_000_000, &india),
            "2023-11-15 03:43"
        );
        assert_eq!(super::date_in(i64::MAX, &utc), "(no date)");
    }
}
