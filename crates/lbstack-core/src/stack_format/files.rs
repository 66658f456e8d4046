//! Files a stack refers to: user data, PEM certificates, keys and chains.
//!
//! A stack file is untrusted input (CI runs stacks from pull requests with cloud credentials), so
//! what it may read is fenced: a path resolves inside the stack file's folder (absolute paths and
//! `..` or symbolic links leading out are refused unless the user opts in with
//! `--allow-files-outside`), only regular files are read (never `/proc`, `/sys` or `/dev`, even
//! with the opt-in: `/proc/self/environ` holds the process's credentials), and the size limit
//! counts the bytes actually read, not what `stat` says (`/proc` files report 0).

use std::io::Read;
use std::path::{Path, PathBuf};

/// Where a stack's files may come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileAccess {
    /// The stack file's folder; None when the stack came from text (no files then).
    pub base: Option<PathBuf>,
    /// `--allow-files-outside`: paths may leave the folder (still only regular files).
    pub outside: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    NoFolder,
    Outside { base: PathBuf },
    System(PathBuf),
    NotRegular,
    NotFound(PathBuf),
    TooLarge { limit: u64 },
    Unreadable(String),
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileError::NoFolder => write!(f, "files can only be read next to a stack file"),
            FileError::Outside { base } => write!(f, "it is outside the stack file's folder ({})", base.display()),
            FileError::System(p) => {
                write!(f, "{} is a system path; stacks never read /proc, /sys or /dev", p.display())
            }
            FileError::NotRegular => write!(f, "it is not a regular file"),
            FileError::NotFound(base) => {
                write!(f, "not found (paths are relative to the stack file's folder, {})", base.display())
            }
            FileError::TooLarge { limit } => write!(f, "it holds more than {limit} bytes"),
            FileError::Unreadable(e) => write!(f, "cannot read it: {e}"),
        }
    }
}

impl FileError {
    /// How to get past it.
    pub fn hint(&self) -> &'static str {
        match self {
            FileError::Outside { .. } => {
                "move the file next to the stack, or run with `--allow-files-outside` if this stack is trusted (stacks from pull requests are not)"
            }
            FileError::System(_) | FileError::NotRegular => "give the path of a regular file next to the stack",
            _ => "",
        }
    }
}

const SYSTEM: [&str; 3] = ["/proc", "/sys", "/dev"];

impl FileAccess {
    /// The path a stack's `rel` names, after every check that does not read it.
    pub fn resolve(&self, rel: &str) -> Result<PathBuf, FileError> {
        let base = self.base.as_ref().ok_or(FileError::NoFolder)?;
        let joined = base.join(rel);
        let in_system = |p: &Path| SYSTEM.iter().any(|s| p.starts_with(s));
        if in_system(&joined) {
            return Err(FileError::System(joined));
        }
        // Leaving the folder is refused by the path's own words first (whether or not what it
        // names exists), then again after links are followed.
        if !self.outside && !lexically_inside(Path::new(rel)) {
            return Err(FileError::Outside { base: base.clone() });
        }
        let real = std::fs::canonicalize(&joined).map_err(|_| FileError::NotFound(base.clone()))?;
        if in_system(&real) {
            return Err(FileError::System(real));
        }
        if !self.outside {
            let root = std::fs::canonicalize(base).unwrap_or_else(|_| base.clone());
            if !real.starts_with(&root) {
                return Err(FileError::Outside { base: base.clone() });
            }
        }
        let meta = std::fs::metadata(&real).map_err(|e| FileError::Unreadable(e.to_string()))?;
        if !meta.is_file() {
            return Err(FileError::NotRegular);
        }
        Ok(real)
    }

    /// The bytes of the file `rel` names, at most `limit` of them.
    pub fn read(&self, rel: &str, limit: u64) -> Result<Vec<u8>, FileError> {
        let path = self.resolve(rel)?;
        read_bounded(&path, limit)
    }
}

/// Whether a relative path stays inside its folder by its components alone (`a/../b` does,
/// `../b` and `/b` do not).
fn lexically_inside(rel: &Path) -> bool {
    let mut depth = 0i32;
    for c in rel.components() {
        match c {
            std::path::Component::Normal(_) => depth += 1,
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            std::path::Component::RootDir | std::path::Component::Prefix(_) => return false,
        }
    }
    true
}

/// At most `limit` bytes of a regular file, counted as read.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let file = std::fs::File::open(path).map_err(|e| FileError::Unreadable(e.to_string()))?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| FileError::Unreadable(e.to_string()))?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge { limit });
    }
    Ok(bytes)
}

/// Where PEM private-key blocks are in `text` (`-----BEGIN ... PRIVATE KEY-----` through their
/// END line, or the end of the text when there is none).
pub fn private_key_blocks(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("-----BEGIN ") {
        let start = from + i;
        let label_end = text[start + 11..].find("-----").map(|j| start + 11 + j);
        let Some(label_end) = label_end else { break };
        let label = &text[start + 11..label_end];
        let after = label_end + 5;
        if label.len() <= 40 && label.contains("PRIVATE KEY") {
            let end = match text[after..].find("-----END ") {
                Some(j) => {
                    let e = after + j + 9;
                    text[e..].find("-----").map_or(text.len(), |k| e + k + 5)
                }
                None => text.len(),
            };
            out.push(start..end);
            from = end;
        } else {
            from = after;
        }
    }
    out
}

/// `text` with every private-key block masked (`X`, whitespace kept), so byte offsets and lines
/// stay where they were and no snippet or message can show the key.
pub fn mask_private_keys(text: &str) -> (String, Vec<std::ops::Range<usize>>) {
    let blocks = private_key_blocks(text);
    if blocks.is_empty() {
        return (text.to_string(), blocks);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for b in &blocks {
        out.push_str(&text[last..b.start]);
        for c in text[b.clone()].chars() {
            // Whitespace stays: the file keeps its shape (indentation, lines) and still parses.
            if c.is_whitespace() {
                out.push(c);
            } else {
                out.extend(std::iter::repeat_n('X', c.len_utf8()));
            }
        }
        last = b.end;
    }
    out.push_str(&text[last..]);
    (out, blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_blocks_are_found_and_masked_in_place() {
        let text = "a: 1\nk: |\n  -----BEGIN RSA PRIVATE KEY-----\n  MIIB\n  -----END RSA PRIVATE KEY-----\nb: -----BEGIN CERTIFICATE-----\n";
        let (masked, blocks) = mask_private_keys(text);
        assert_eq!(blocks.len(), 1);
        assert_eq!(masked.len(), text.len());
        assert_eq!(masked.lines().count(), text.lines().count());
        assert!(!masked.contains("MIIB") && !masked.contains("PRIVATE"));
        assert!(masked.contains("BEGIN CERTIFICATE"), "certificates are not keys");
        // A block without its END masks through the end.
        assert_eq!(private_key_blocks("x -----BEGIN PRIVATE KEY-----\nabc"), vec![2..33]);
    }

    #[test]
    fn paths_stay_in_the_folder() {
        let dir = std::env::temp_dir().join(format!("lbstack-files-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/ud.sh"), "#!/bin/sh\n").unwrap();
        let access = FileAccess { base: Some(dir.join("sub")), outside: false };
        assert!(access.read("ud.sh", 100).is_ok());
        assert!(
            matches!(access.read("x/../ud.sh", 100), Err(FileError::NotFound(_))),
            "`..` that stays inside is fine (x does not exist)"
        );
        assert!(
            matches!(access.read("../sub/ud.sh", 100), Err(FileError::Outside { .. })),
            "`..` above the folder is outside, even coming back"
        );
        std::fs::write(dir.join("secret"), "x").unwrap();
        assert!(matches!(access.read("../secret", 100), Err(FileError::Outside { .. })));
        assert!(matches!(
            access.read("/etc/hostname", 100),
            Err(FileError::Outside { .. }) | Err(FileError::NotFound(_))
        ));
        assert!(matches!(access.read("/proc/self/environ", 100), Err(FileError::System(_))));
        let open = FileAccess { base: Some(dir.join("sub")), outside: true };
        assert!(
            matches!(open.read("/proc/self/environ", 100), Err(FileError::System(_))),
            "never /proc, even when allowed out"
        );
        assert!(open.read("../secret", 100).is_ok());
        assert!(matches!(access.read("ud.sh", 3), Err(FileError::TooLarge { limit: 3 })));
        std::os::unix::fs::symlink("/proc/self/environ", dir.join("sub/link")).unwrap();
        assert!(
            matches!(open.read("link", 100), Err(FileError::System(_))),
            "a link into /proc is followed and refused"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
