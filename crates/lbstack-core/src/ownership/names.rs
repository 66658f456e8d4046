//! Physical names: `<stack>-<key>`, cut to the AWS limit with a short hash when too long, and a
//! second, distinct name for a replacement that must live beside the original.

/// FNV-1a: stable across runs and platforms (names must not change between versions).
pub fn hash7(s: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{:07x}", h & 0xfff_ffff)
}

/// `<stack>-<key>` within `max` characters.
pub fn physical(stack: &str, key: &str, max: usize) -> String {
    let base = format!("{stack}-{key}");
    if base.len() <= max { base } else { with_suffix(&base, &hash7(&base), max) }
}

/// A name for the replacement of `current`: differs from it, and is stable for the same `salt`
/// (the replacing configuration), so a re-run after a failure picks the same name.
pub fn replacement(stack: &str, key: &str, max: usize, current: &str, salt: &str) -> String {
    let base = format!("{stack}-{key}");
    let mut candidate = with_suffix(&base, &hash7(&format!("{base}|{salt}")), max);
    if candidate == current {
        candidate = with_suffix(&base, &hash7(&format!("{base}|{salt}|2")), max);
    }
    candidate
}

/// What every name `physical` and `replacement` give for this stack starts with (a long stack
/// name is cut to leave room for the key and a hash), so readers can skip resources whose names
/// cannot be the stack's instead of reading their tags.
/// The AWS name of an entry: its `name:` when it has one (an adopted resource), else
/// `<stack>-<key>` within the kind's longest name.
pub fn given(s: &crate::stack_format::model::Stack, kind: crate::kinds::Kind, key: &str) -> String {
    s.given_name(kind, key).map_or_else(|| physical(&s.stack, key, kind.name_max().unwrap_or(255)), str::to_string)
}

pub fn owned_prefix(stack: &str, max: usize) -> String {
    let cut: String = stack.chars().take(max.saturating_sub(9)).collect();
    cut.trim_end_matches('-').to_string()
}

fn with_suffix(base: &str, suffix: &str, max: usize) -> String {
    let keep = max.saturating_sub(suffix.len() + 1).min(base.len());
    let head = base[..keep].trim_end_matches('-');
    format!("{head}-{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_starts_with_the_owned_prefix() {
        for stack in ["shop", "a-very-long-stack-name-for-tests", "edge-case-stack-name-23-", "x"] {
            let prefix = owned_prefix(stack, 32);
            for key in ["api", "a-key-that-is-quite-long-indeed", "k"] {
                let name = physical(stack, key, 32);
                assert!(name.starts_with(&prefix), "{name} / {prefix}");
                let next = replacement(stack, key, 32, &name, "salt");
                assert!(next.starts_with(&prefix), "{next} / {prefix}");
            }
        }
    }

    #[test]
    fn names_fit_and_are_stable() {
        assert_eq!(physical("shop-blue", "api", 32), "shop-blue-api");
        let long = physical("shop-blue", "a-very-long-target-group-key-name", 32);
        assert!(long.len() <= 32, "{long}");
        assert_eq!(long, physical("shop-blue", "a-very-long-target-group-key-name", 32));
        assert!(!long.ends_with('-'));
        let r = replacement("shop-blue", "api", 32, "shop-blue-api", "HTTPS|443");
        assert_ne!(r, "shop-blue-api");
        assert!(r.len() <= 32 && r.starts_with("shop-blue-api-"));
        assert_eq!(r, replacement("shop-blue", "api", 32, "shop-blue-api", "HTTPS|443"));
        // Replacing the replacement again gives yet another name.
        assert_ne!(replacement("shop-blue", "api", 32, &r, "HTTPS|443"), r);
    }
}
