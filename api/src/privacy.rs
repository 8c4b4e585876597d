//! Personal data shown to people other than its owner (PIPL): masked.

/// Masks a phone number for anyone but its owner: `13812345678` → `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.trim().chars().collect();
    if chars.len() < 8 {
        return "****".to_owned();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// Masks a display name: its first character, then stars (`张三` → `张*`).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count().clamp(1, 4))),
        None => "*".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mainland_mobile_number_keeps_its_first_three_and_last_four_digits() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
    }

    #[test]
    fn a_number_with_a_country_code_still_hides_the_middle() {
        assert_eq!(mask_phone("+8613812345678"), "+86****5678");
    }

    #[test]
    fn a_short_number_is_hidden_entirely() {
        assert_eq!(mask_phone("12345"), "****");
        assert_eq!(mask_phone(""), "****");
    }

    #[test]
    fn names_keep_their_first_character() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("alice"), "a****");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name(""), "*");
    }
}
