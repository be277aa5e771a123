//! The key in a real Secret Service: GNOME Keyring on a private D-Bus session bus, with a
//! throw-away home (`.ci/desktop-session`, without a display), driven through the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mock_openai::{MockServer, Reply};
use std::path::Path;
use std::time::Duration;

const KEY: &str = "sk-keyring-test-0123456789-WXYZ";

/// Runs `script` with bash inside a fresh session bus with an unlocked GNOME Keyring, with
/// `home` as its home. `$PALAVER` is the binary under test. Returns stdout (steps print their
/// own markers).
async fn in_keyring_session(home: &Path, script: &str, env: &[(&str, &str)]) -> String {
    let mut cmd =
        tokio::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/desktop-session"));
    cmd.arg("--home")
        .arg(home)
        .args(["--no-display", "--", "bash", "-c"])
        .arg(format!("set -u\n{script}"))
        .env("PALAVER", env!("CARGO_BIN_EXE_palaver"))
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("the keyring session hung")
        .expect("could not run .ci/desktop-session");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains(KEY), "the key leaked on stderr:\n{stderr}");
    format!("{stdout}\n--- stderr ---\n{stderr}")
}

fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path)
                .is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
            {
                hits.push(path.display().to_string());
            }
        }
    }
    hits
}

#[tokio::test]
async fn key_set_stores_in_the_secret_service_and_ask_uses_it() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    server.push(Reply::answer(&["Answered", " with the stored key."]));
    let script = format!(
        r#"
"$PALAVER" profile add Local --base-url "{base}" --model mock-model 2>/dev/null
echo "== status before"; "$PALAVER" key status -p Local; echo "exit=$?"
echo "== set"; printf '%s\n' "$THE_KEY" | "$PALAVER" key set -p Local; echo "exit=$?"
echo "== lookup"; secret-tool lookup service palaver username local | sed "s/$THE_KEY/<the key>/"; echo; echo "exit=$?"
echo "== status after"; "$PALAVER" key status --profile local; echo "exit=$?"
echo "== ask"; "$PALAVER" ask -p Local "Hello"; echo "exit=$?"
echo "== clear"; "$PALAVER" key clear -p Local; echo "exit=$?"
echo "== lookup after clear"; secret-tool lookup service palaver username local; echo "exit=$?"
"#,
        base = server.base_url()
    );
    let out = in_keyring_session(home.path(), &script, &[("THE_KEY", KEY)]).await;
    let origin = server.base_url().trim_end_matches("/v1").to_owned();

    assert!(out.contains("== status before\nlocal: no key"), "{out}");
    assert!(
        out.contains(&format!(
            "Stored the key for “local” in the system keyring (…WXYZ). It is sent to {origin} only."
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "== lookup\n{{\"origin\":\"{origin}\",\"key\":\"<the key>\"}}\nexit=0"
        )),
        "the Secret Service does not hold the key and its server:\n{out}"
    );
    assert!(
        out.contains(&format!(
            "local: key stored in the system keyring (…WXYZ), for {origin}"
        )),
        "{out}"
    );
    assert!(
        out.contains("== ask\nAnswered with the stored key.\nexit=0"),
        "{out}"
    );
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert!(out.contains("Removed the key for “local”"), "{out}");
    assert!(out.contains("== lookup after clear\nexit=1"), "{out}");
    // Only the keyring itself ever had the key, and it stores it encrypted.
    assert_eq!(files_containing(home.path(), KEY), Vec::<String>::new());
    // stdout printed the key only where the script itself replaced it.
    assert!(!out.contains(KEY), "{out}");
}

/// A stored key goes to its profile's server and nowhere else: not to another port or name
/// of the same machine, not to a one-off `--base-url` (even its own server's), not to
/// another profile's server, not through a redirect. The environment's key goes to a
/// one-off server, where the user sent it.
#[tokio::test]
async fn a_stored_key_goes_only_to_the_server_it_was_saved_for() {
    let home = tempfile::tempdir().unwrap();
    let server = MockServer::start().await.unwrap();
    let other = MockServer::start().await.unwrap();
    server.push(Reply::answer(&["From the key's own server."]));
    // The same machine by another name is another origin.
    server.push(Reply::status(
        401,
        "application/json",
        r#"{"error":{"message":"missing key"}}"#,
    ));
    // A one-off request to the key's own server.
    server.push(Reply::answer(&["One-off, without the stored key."]));
    other.push(Reply::answer(&["From another server."]));
    // A redirect from the key's own server to elsewhere.
    server.push(Reply::status(307, "text/plain", "moved").header(
        "location",
        &format!("{}/chat/completions", other.base_url()),
    ));
    other.push(Reply::answer(&["With the user's own environment key."]));
    other.push(Reply::answer(&["From the second profile, with its key."]));
    let alias = server.base_url().replace("127.0.0.1", "localhost");
    let script = format!(
        r#"
"$PALAVER" profile add Own --base-url "{base}" --model mock-model 2>/dev/null
"$PALAVER" profile add Second --base-url "{other}" --model mock-model 2>/dev/null
printf '%s\n' "$THE_KEY" | "$PALAVER" key set -p Own 2>/dev/null
printf 'sk-second-profile-000000003333\n' | "$PALAVER" key set -p Second 2>/dev/null
echo "== own"; "$PALAVER" ask --no-save -p Own "Hello"; echo "exit=$?"
echo "== alias"; "$PALAVER" ask --no-save -p Own --base-url "{alias}" "Hello" 2>&1; echo "exit=$?"
echo "== one-off"; "$PALAVER" ask --no-save --base-url "{base}" "Hello"; echo "exit=$?"
echo "== other"; "$PALAVER" ask --no-save -p Own --base-url "{other}" "Hello"; echo "exit=$?"
echo "== redirect"; "$PALAVER" ask --no-save -p Own "Hello" 2>&1; echo "exit=$?"
echo "== env"; OPENAI_API_KEY=sk-env-key-0000000002222 "$PALAVER" ask --no-save --base-url "{other}" "Hello"; echo "exit=$?"
echo "== second"; OPENAI_API_KEY=sk-env-key-0000000002222 "$PALAVER" ask --no-save -p Second "Hello"; echo "exit=$?"
"#,
        base = server.base_url(),
        other = other.base_url(),
    );
    let out = in_keyring_session(home.path(), &script, &[("THE_KEY", KEY)]).await;
    assert!(
        out.contains("== own\nFrom the key's own server.\nexit=0"),
        "{out}"
    );
    assert!(
        out.contains("was not sent: it belongs to http://127.0.0.1:"),
        "{out}"
    );
    assert!(
        out.contains("== one-off\nOne-off, without the stored key.\nexit=0"),
        "{out}"
    );
    assert!(
        out.contains("== other\nFrom another server.\nexit=0"),
        "{out}"
    );
    assert!(out.contains("redirect (307)"), "{out}");
    assert!(
        out.contains("== env\nWith the user's own environment key.\nexit=0"),
        "{out}"
    );
    assert!(
        out.contains("== second\nFrom the second profile, with its key.\nexit=0"),
        "{out}"
    );

    let auth = |r: &mock_openai::RecordedRequest| r.header("authorization").map(str::to_owned);
    let own = server.requests();
    assert_eq!(own.len(), 4, "{out}");
    assert_eq!(auth(&own[0]), Some(format!("Bearer {KEY}")));
    assert_eq!(
        auth(&own[1]),
        None,
        "the key went to another origin of the same machine"
    );
    assert_eq!(
        auth(&own[2]),
        None,
        "the stored key went to a one-off server"
    );
    assert_eq!(auth(&own[3]), Some(format!("Bearer {KEY}")));
    let elsewhere = other.requests();
    assert_eq!(elsewhere.len(), 3, "the redirect was followed: {out}");
    assert_eq!(auth(&elsewhere[0]), None, "the key went to another server");
    assert_eq!(
        auth(&elsewhere[1]).as_deref(),
        Some("Bearer sk-env-key-0000000002222")
    );
    assert_eq!(
        auth(&elsewhere[2]).as_deref(),
        Some("Bearer sk-second-profile-000000003333"),
        "a profile's own key, not the environment's"
    );
    for request in &elsewhere {
        let headers = format!("{:?}", request.headers);
        assert!(
            !headers.contains(KEY),
            "the first profile's key reached the second's server"
        );
    }
    assert!(!out.contains(KEY), "{out}");
}

#[tokio::test]
async fn profiles_have_separate_keys_and_the_environment_is_a_labelled_fallback() {
    let home = tempfile::tempdir().unwrap();
    let script = r#"
"$PALAVER" profile add Work --base-url http://127.0.0.1:9/v1 2>/dev/null
printf 'sk-work-key-000000000001111\n' | "$PALAVER" key set --profile work >/dev/null 2>&1
echo "== work"; "$PALAVER" key status --profile work
echo "== openai"; "$PALAVER" key status
echo "== openai with env"; OPENAI_API_KEY=sk-env-key-0000000002222 "$PALAVER" key status
echo "== work with env"; OPENAI_API_KEY=sk-env-key-0000000002222 "$PALAVER" key clear -p Work >/dev/null 2>&1; OPENAI_API_KEY=sk-env-key-0000000002222 "$PALAVER" key status -p Work
echo "== unknown"; "$PALAVER" key status -p nobody; echo "exit=$?"
echo "== bad key"; printf 'two words\n' | "$PALAVER" key set; echo "exit=$?"
"#;
    let out = in_keyring_session(home.path(), script, &[]).await;
    assert!(
        out.contains("== work\nwork: key stored in the system keyring (…1111)"),
        "{out}"
    );
    assert!(out.contains("== openai\nopenai: no key"), "{out}");
    assert!(
        out.contains("openai: key from the environment, OPENAI_API_KEY (…2222); none stored"),
        "{out}"
    );
    assert!(
        out.contains("== work with env\nwork: no key"),
        "OpenAI's key from the environment is not another server's: {out}"
    );
    assert!(
        out.contains("There is no provider profile called “nobody”"),
        "{out}"
    );
    assert!(out.contains("== bad key\nexit=2"), "{out}");
    assert!(
        out.contains("That does not look like an API key: it contains spaces or line breaks"),
        "{out}"
    );
}

#[tokio::test]
async fn no_secret_service_is_a_clear_error_and_never_a_plaintext_fallback() {
    let home = tempfile::tempdir().unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_palaver"))
        .args(["key", "set"])
        .env("HOME", home.path())
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .env_remove("OPENAI_API_KEY")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = out;
    use tokio::io::AsyncWriteExt;
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{KEY}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("error [keyring_unavailable]"), "{stderr}");
    assert!(stderr.contains("OPENAI_API_KEY"), "{stderr}");
    assert!(!stderr.contains(KEY));
    assert_eq!(files_containing(home.path(), KEY), Vec::<String>::new());
}
