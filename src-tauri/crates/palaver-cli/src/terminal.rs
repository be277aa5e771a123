//! Text from elsewhere — model output, imported titles, server error messages — made safe to
//! print on a terminal.
//!
//! A terminal obeys control sequences in what it prints: `ESC ] 52` writes the clipboard,
//! `ESC ] 8` makes a link whose target differs from its text, others retitle the window or
//! move the cursor over earlier output. A hostile server or import file can carry any of
//! them, so every foreign text printed for a person passes through [`printable`], which
//! drops C0 and C1 control characters (ESC, BEL, CSI …) and DEL, keeping line breaks and
//! tabs. It deliberately does not try to keep "harmless" sequences such as colours: telling
//! them apart is how filters get bypassed. Output piped to another program is a different
//! matter; callers decide whether their stdout is for a person.

use std::borrow::Cow;

/// `text` without control characters other than `\n` and `\t`.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().filter(|c| !is_unsafe(*c)).collect())
}

/// `text` on one line: as [`printable`], with line breaks and tabs turned into spaces.
pub fn one_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) || c == '\n' || c == '\t') {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .filter(|c| !is_unsafe(*c))
            .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
            .collect(),
    )
}

fn is_unsafe(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_lose_their_escape() {
        let osc52 = "title\u{1b}]52;c;ZXZpbA==\u{7}";
        assert_eq!(printable(osc52), "title]52;c;ZXZpbA==");
        let osc8 = "\u{1b}]8;;https://evil.example\u{1b}\\click\u{1b}]8;;\u{1b}\\";
        assert!(!printable(osc8).contains('\u{1b}'));
        // C1 controls (a single-byte CSI in some terminals) and DEL go too.
        assert_eq!(printable("a\u{9b}2Jb\u{7f}"), "a2Jb");
    }

    #[test]
    fn ordinary_text_is_left_as_it_is() {
        let text = "Line one\n\tindented — 中文, emoji 🎉, RTL שלום";
        assert!(matches!(printable(text), Cow::Borrowed(_)));
        assert_eq!(one_line("a\nb\tc\r"), "a b c");
    }
}
