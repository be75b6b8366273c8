//! A token store: one file per key under the user's config directory, readable only by the user.

use crate::error::{Error, Result};
use std::path::PathBuf;

/// Saves and loads the token a server issued, so the next run connects as the same identity.
#[derive(Clone, Debug)]
pub struct Credentials {
    path: PathBuf,
}

impl Credentials {
    /// A store for `key` (letters, digits, `-`, `_`, `.`) under `$STDB_CLIENT_CONFIG_DIR`, else
    /// `$XDG_CONFIG_HOME/stdb-client`, else `~/.config/stdb-client`.
    pub fn new(key: &str) -> Result<Credentials> {
        let valid = !key.is_empty()
            && key.len() <= 128
            && key.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && !key.starts_with('.');
        if !valid {
            return Err(Error::InvalidArgument(format!(
                "credentials key `{key}` must be 1-128 of [A-Za-z0-9-_.], not starting with '.'"
            )));
        }
        let dir = if let Some(d) = std::env::var_os("STDB_CLIENT_CONFIG_DIR") {
            PathBuf::from(d)
        } else if let Some(d) = std::env::var_os("XDG_CONFIG_HOME") {
            PathBuf::from(d).join("stdb-client")
        } else if let Some(h) = std::env::var_os("HOME") {
            PathBuf::from(h).join(".config").join("stdb-client")
        } else {
            return Err(Error::Io("no config directory: set HOME, XDG_CONFIG_HOME or STDB_CLIENT_CONFIG_DIR".into()));
        };
        Ok(Credentials { path: dir.join(format!("{key}.token")) })
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Writes the token with permissions 0600 (the file is created that way, never widened).
    pub fn save(&self, token: &str) -> Result<()> {
        use std::io::Write;
        let io = |e: std::io::Error| Error::Io(format!("saving credentials to {}: {e}", self.path.display()));
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = self.path.with_extension("token.tmp");
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp).map_err(io)?;
        f.write_all(token.as_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)
    }

    /// The saved token, or `None` if nothing was saved.
    pub fn load(&self) -> Result<Option<String>> {
        match std::fs::read_to_string(&self.path) {
            Ok(t) => Ok(Some(t.trim().to_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Io(format!("reading credentials from {}: {e}", self.path.display()))),
        }
    }

    pub fn remove(&self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::Io(format!("removing {}: {e}", self.path.display()))),
        }
    }
}
