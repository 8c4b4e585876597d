//! Rules for free text that people will read: names, nicknames, descriptions, reasons.
//!
//! Refused everywhere: control characters (NUL, escape codes, C1), line and paragraph
//! separators, bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069: they make text read
//! differently than it is stored) and the other invisible format characters. Kept: emoji
//! sequences, with their zero-width joiner between two emoji, variation selectors, skin tones
//! and the tag characters of subdivision flags. Names need a visible character; nicknames
//! also refuse `<` and `>` (they are shown in places that might render HTML).

use std::borrow::Cow;

use validator::ValidationError;

fn failure(code: &'static str, message: &'static str) -> ValidationError {
    ValidationError::new(code).with_message(Cow::Borrowed(message))
}

/// One line of text (a name, a category, a short reason): no newlines.
pub fn line(value: &str) -> Result<(), ValidationError> {
    characters(value, false)
}

/// Text that may span lines (a description, a note): `\n` and tabs allowed.
pub fn multi_line(value: &str) -> Result<(), ValidationError> {
    characters(value, true)
}

/// A name: one line with at least one visible character.
pub fn name(value: &str) -> Result<(), ValidationError> {
    line(value)?;
    visible(value)
}

/// A reason or description that must say something: lines allowed, a visible character needed.
pub fn text_required(value: &str) -> Result<(), ValidationError> {
    multi_line(value)?;
    visible(value)
}

/// A nickname: a name without `<` or `>`.
pub fn nickname(value: &str) -> Result<(), ValidationError> {
    name(value)?;
    if value.contains(['<', '>']) {
        return Err(failure("html", "不能包含 < 或 >"));
    }
    Ok(())
}

/// At least one character that shows: not whitespace, not an invisible filler.
pub fn visible(value: &str) -> Result<(), ValidationError> {
    if value.chars().any(|c| !c.is_whitespace() && !invisible(c)) {
        Ok(())
    } else {
        Err(failure("blank", "须包含可见的文字"))
    }
}

fn characters(value: &str, lines: bool) -> Result<(), ValidationError> {
    let chars: Vec<char> = value.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if lines && (c == '\n' || c == '\t') {
            continue;
        }
        if c == '\n' || c == '\r' || c == '\u{2028}' || c == '\u{2029}' {
            return Err(failure("newline", "不能换行"));
        }
        if c.is_control() {
            return Err(failure("control", "不能包含控制字符"));
        }
        if bidi_control(c) {
            return Err(failure("bidi", "不能包含改变文字方向的字符"));
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let allowed = match c {
            // A zero-width joiner inside an emoji sequence (👨‍👩‍👧).
            '\u{200D}' => prev.is_some_and(emoji_part) && next.is_some_and(emoji_part),
            // Tag characters of a subdivision flag (🏴 followed by tags).
            '\u{E0020}'..='\u{E007F}' => {
                prev.is_some_and(|p| p == '\u{1F3F4}' || ('\u{E0020}'..='\u{E007F}').contains(&p))
            }
            _ => !format_char(c),
        };
        if !allowed {
            return Err(failure("invisible", "不能包含不可见的格式字符"));
        }
    }
    Ok(())
}

/// Bidi embeddings, overrides and isolates, and the directional marks.
fn bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Unicode's format characters (general category Cf, Unicode 15).
fn format_char(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}'
        | '\u{0890}'..='\u{0891}' | '\u{08E2}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{110BD}' | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

/// Characters that show nothing on their own: format characters, joiners, variation
/// selectors, the combining grapheme joiner, Hangul fillers and the blank Braille pattern.
fn invisible(c: char) -> bool {
    format_char(c)
        || matches!(c,
            '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{3164}'
            | '\u{FFA0}' | '\u{2800}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// What may stand next to a zero-width joiner in an emoji sequence: pictographs, variation
/// selector 16, skin tones and the symbols emoji are built from.
fn emoji_part(c: char) -> bool {
    matches!(c,
        '\u{00A9}' | '\u{00AE}' | '\u{203C}' | '\u{2049}' | '\u{2122}' | '\u{2139}'
        | '\u{2194}'..='\u{2BFF}' | '\u{3030}' | '\u{303D}' | '\u{3297}' | '\u{3299}'
        | '\u{FE0F}' | '\u{1F000}'..='\u{1FAFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_and_emoji_sequences_are_kept() {
        for ok in [
            "王小明",
            "👨\u{200D}👩\u{200D}👧",
            "❤\u{FE0F}\u{200D}🔥",
            "👍🏽",
            "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
            "3栋 A座",
        ] {
            assert!(nickname(ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn controls_bidi_and_invisible_characters_are_refused() {
        for bad in [
            "a\u{0}b",
            "a\u{1B}[31m",
            "a\u{85}",
            "evil\u{202E}gpj.exe",
            "a\u{2066}b",
            "a\u{200B}b",
            "\u{200D}a",
            "a\u{200D}b",
            "a\u{FEFF}",
            "a\u{E0067}",
        ] {
            assert!(line(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_need_a_visible_character_and_one_line() {
        for bad in [
            "", "   ", "\u{3000}", "\u{3164}", "\u{2800}", "a\nb", "a\rb",
        ] {
            assert!(name(bad).is_err(), "{bad:?}");
        }
        assert!(multi_line("第一行\n第二行\t").is_ok());
        assert!(multi_line("a\rb").is_err());
        assert!(multi_line("").is_ok());
        assert!(text_required(" \n ").is_err());
    }

    #[test]
    fn nicknames_refuse_html() {
        assert!(nickname("<b>hi</b>").is_err());
        assert!(nickname("a > b").is_err());
        assert!(name("a > b").is_ok());
    }
}
