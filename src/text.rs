//! Text that leaves the exporter for a shell, a terminal, a URL or a log line.
//!
//! Connector names, stack traces and error messages come from upstreams, so anyone who can
//! create a connector chooses them. `check` prints commands an on-call engineer pastes into a
//! shell and lines they read in a terminal; both must show such strings as data, never run or
//! interpret them. This module sits at the bottom of the crate (it imports nothing of it) so
//! that every source and every printer uses the same three rules.

/// Quotes `text` as one POSIX shell word: single quotes, inside which nothing is special, and
/// `'\''` for a quote itself. Always quoted, even when it would not need it, so a reader sees
/// one rule everywhere. A character a terminal would not show as it is (a control character,
/// a bidirectional override; see [`sanitize_for_terminal`]) is written as `printf`'s octal
/// escapes of its bytes, `'"$(printf '\342\200\256')"'`: ASCII a terminal shows as it is,
/// from which the shell rebuilds the exact string, so a command still names it after its line
/// was cleaned for the terminal. Not a line break, which command substitution would drop.
pub fn shell_quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('\'');
    for c in text.chars() {
        match c {
            '\'' => quoted.push_str(r"'\''"),
            c if c != '\n' && is_unsafe_in_terminal(c) => {
                quoted.push_str("'\"$(printf '");
                for byte in c.encode_utf8(&mut [0; 4]).bytes() {
                    quoted.push_str(&format!("\\{byte:03o}"));
                }
                quoted.push_str("')\"'");
            }
            c => quoted.push(c),
        }
    }
    quoted.push('\'');
    quoted
}

/// Percent-encodes `segment` for one path segment of a URL: everything but RFC 3986's
/// unreserved characters, so `/`, `?`, `#`, quotes, spaces and controls cannot end the segment
/// or the URL. A segment of only dots is encoded too, or clients would resolve `..` upwards.
pub fn percent_encode_segment(segment: &str) -> String {
    let only_dots = !segment.is_empty() && segment.bytes().all(|byte| byte == b'.');
    let mut encoded = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'~') || (byte == b'.' && !only_dots) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// `text` as a terminal may show it: ANSI escape sequences (7-bit `ESC …` and 8-bit C1 forms
/// such as `\u{9b}`) removed whole, other control characters removed (line breaks and tabs
/// become a space, so words stay apart and no line can be faked or overwritten with `\r`), and
/// the bidirectional overrides that make a terminal show text in another order than it is.
pub fn sanitize_for_terminal(text: &str) -> String {
    let mut clean = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => skip_control_sequence(&mut chars),
                Some(']' | 'P' | 'X' | '^' | '_') => skip_control_string(&mut chars),
                // Two-character escapes (ESC 7, ESC c, ESC ( B…): intermediates, then a final.
                Some(next) if (' '..='/').contains(&next) => {
                    while chars.next_if(|c| (' '..='/').contains(c)).is_some() {}
                    chars.next_if(|c| ('0'..='~').contains(c));
                }
                Some(_) | None => {}
            },
            '\u{9b}' => skip_control_sequence(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_control_string(&mut chars),
            '\t' | '\n' | '\r' | '\u{0b}' | '\u{0c}' => clean.push(' '),
            c if is_unsafe_in_terminal(c) => {}
            c => clean.push(c),
        }
    }
    clean
}

/// Skips the rest of a CSI sequence (`ESC [` or `\u{9b}` already read): parameter and
/// intermediate bytes, then one final byte. A character outside those ranges ends it unread.
fn skip_control_sequence(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while chars.next_if(|c| (' '..='?').contains(c)).is_some() {}
    chars.next_if(|c| ('@'..='~').contains(c));
}

/// Skips an OSC, DCS, SOS, PM or APC string up to its terminator (BEL, `ESC \` or `\u{9c}`),
/// as a terminal would swallow it.
fn skip_control_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{07}' | '\u{9c}' => return,
            '\u{1b}' => {
                chars.next_if_eq(&'\\');
                return;
            }
            _ => {}
        }
    }
}

/// A control character, or a bidirectional control that reorders how a terminal shows text.
pub fn is_unsafe_in_terminal(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `error: cause: cause`: an error and its sources as one line, since libraries such as
/// tokio-postgres put the useful part in the source chain.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// What a POSIX shell makes of `words`, as `printf` receives them. PATH leads nowhere, so
    /// a command smuggled into `words` fails rather than runs (printf and echo are built in).
    pub(crate) fn shell_words(words: &str) -> Vec<String> {
        let output = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("printf '%s\\0' {words}"))
            .env("PATH", "/nonexistent")
            .output()
            .expect("sh runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let text = String::from_utf8(output.stdout).unwrap();
        text.split_terminator('\0').map(str::to_owned).collect()
    }

    #[test]
    fn a_quoted_string_is_one_shell_word_whatever_it_holds() {
        for text in ["x'; touch /tmp/PWNED; echo '", "$(id) `id` $HOME \\ \" '' *", "a\nb", "", "''''"] {
            assert_eq!(shell_words(&shell_quote(text)), [text], "{text:?}");
        }
    }

    #[test]
    fn a_quoted_string_shows_as_ascii_in_a_terminal_and_still_names_it_exactly() {
        for text in ["evil\u{202e}txt.exe", "\u{1b}[31mred\u{1b}[0m", "c1\u{9b}2J", "tab\there", "\u{2066}x\u{2069}"] {
            let quoted = shell_quote(text);
            assert_eq!(sanitize_for_terminal(&quoted), quoted, "{text:?} quoted as {quoted:?}");
            assert_eq!(shell_words(&quoted), [text], "{text:?}");
        }
        assert_eq!(shell_quote("a\u{202e}b"), r#"'a'"$(printf '\342\200\256')"'b'"#);
    }

    #[test]
    fn an_encoded_segment_holds_nothing_a_url_or_a_shell_reads() {
        assert_eq!(percent_encode_segment("inventory-connector.v2_x~"), "inventory-connector.v2_x~");
        assert_eq!(
            percent_encode_segment("x'; touch /tmp/PWNED; echo '"),
            "x%27%3B%20touch%20%2Ftmp%2FPWNED%3B%20echo%20%27"
        );
        assert_eq!(percent_encode_segment("a?b#c&d+e%f"), "a%3Fb%23c%26d%2Be%25f");
        assert_eq!(percent_encode_segment("größe"), "gr%C3%B6%C3%9Fe");
        assert_eq!(percent_encode_segment(".."), "%2E%2E");
        assert_eq!(percent_encode_segment("."), "%2E");
    }

    #[test]
    fn terminal_text_loses_escapes_and_controls_but_keeps_words() {
        assert_eq!(sanitize_for_terminal("\u{1b}[31mred\u{1b}[0m plain"), "red plain");
        assert_eq!(sanitize_for_terminal("\u{9b}2Jcleared"), "cleared");
        assert_eq!(sanitize_for_terminal("ok\rFAKE"), "ok FAKE");
        assert_eq!(sanitize_for_terminal("line\nnext\tcol"), "line next col");
        assert_eq!(sanitize_for_terminal("\u{1b}]0;title\u{7}after"), "after");
        assert_eq!(sanitize_for_terminal("\u{1b}]8;;http://evil\u{1b}\\link\u{1b}]8;;\u{1b}\\"), "link");
        assert_eq!(sanitize_for_terminal("a\u{1b}(Bb\u{1b}cc"), "abc");
        assert_eq!(sanitize_for_terminal("bell\u{7}nul\u{0}del\u{7f}c1\u{85}"), "bellnuldelc1");
        assert_eq!(sanitize_for_terminal("evil\u{202e}txt.exe"), "eviltxt.exe");
        assert_eq!(sanitize_for_terminal("naïve — ünïcode ✓"), "naïve — ünïcode ✓");
        assert_eq!(sanitize_for_terminal("unterminated \u{1b}["), "unterminated ");
    }
}
