//! Reading the small files a configuration names: the config file itself, the web config,
//! password files, CA bundles, certificates and keys.
//!
//! A path can name something that is not a file: `/dev/zero` never ends (reading it grew the
//! process by about 400 MB/s), a FIFO blocks until someone writes to it (the exporter hung
//! before listening), a directory cannot be read. So only regular files are read, and only up
//! to [`MAX_FILE_BYTES`]: the largest such file in use, a system CA bundle, is about 220 KiB.

use std::io::Read;
use std::path::Path;

/// The most any configured file may hold.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The bytes of the regular file at `path`, at most [`MAX_FILE_BYTES`] of them. The error
/// names the path and says what is wrong, for the caller to prefix with the key.
pub fn read_small_file(path: &Path) -> Result<Vec<u8>, String> {
    let shown = path.display();
    // Checked before opening: opening a FIFO for reading already blocks.
    let metadata = std::fs::metadata(path).map_err(|error| format!("cannot read {shown}: {error}"))?;
    if !metadata.is_file() {
        return Err(format!("{shown} is not a regular file ({})", kind(&metadata)));
    }
    let too_large =
        || format!("{shown} is larger than {} MiB, the most a configured file may hold", MAX_FILE_BYTES >> 20);
    if metadata.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let file = std::fs::File::open(path).map_err(|error| format!("cannot read {shown}: {error}"))?;
    // The file may have grown (or been replaced) since: the cap holds whatever is read.
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|error| format!("cannot read {shown}: {error}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

/// [`read_small_file`] as UTF-8 text.
pub fn read_small_text(path: &Path) -> Result<String, String> {
    String::from_utf8(read_small_file(path)?).map_err(|_| format!("{} is not UTF-8 text", path.display()))
}

fn kind(metadata: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let file_type = metadata.file_type();
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_fifo() {
        "a FIFO, which blocks until written"
    } else if file_type.is_char_device() || file_type.is_block_device() {
        "a device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_small_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ok");
        std::fs::write(&file, "text").unwrap();
        assert_eq!(read_small_text(&file).unwrap(), "text");

        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let error = read_small_file(&fifo).unwrap_err();
        assert!(error.ends_with("fifo is not a regular file (a FIFO, which blocks until written)"), "{error}");
        let error = read_small_file(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(error, "/dev/zero is not a regular file (a device)");
        let error = read_small_file(dir.path()).unwrap_err();
        assert!(error.ends_with("is not a regular file (a directory)"), "{error}");

        std::fs::write(&file, vec![b'#'; MAX_FILE_BYTES as usize + 1]).unwrap();
        let error = read_small_file(&file).unwrap_err();
        assert!(error.ends_with("ok is larger than 1 MiB, the most a configured file may hold"), "{error}");
        std::fs::write(&file, vec![b'#'; MAX_FILE_BYTES as usize]).unwrap();
        assert_eq!(read_small_file(&file).unwrap().len(), MAX_FILE_BYTES as usize);

        std::fs::write(&file, [0xff, 0xfe]).unwrap();
        assert!(read_small_text(&file).unwrap_err().ends_with("ok is not UTF-8 text"));
        let error = read_small_file(&dir.path().join("missing")).unwrap_err();
        assert!(error.starts_with("cannot read ") && error.contains("No such file"), "{error}");
    }
}
