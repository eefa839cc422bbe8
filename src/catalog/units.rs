//! How quantities read to a person, the same in alerts, `check` and the status page.

/// `1 GiB`, `1.5 KiB`, `1000 B`: binary units, one decimal at most, none when it is zero.
pub fn bytes_text(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0} {}", UNITS[unit])
    } else {
        format!("{rounded:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_in_binary_units() {
        assert_eq!(bytes_text(1000.0), "1000 B");
        assert_eq!(bytes_text(1536.0), "1.5 KiB");
        assert_eq!(bytes_text(1024.0 * 1024.0 * 1024.0), "1 GiB");
        assert_eq!(bytes_text(512.0 * 1024.0 * 1024.0), "512 MiB");
        assert_eq!(bytes_text(3.0 * 1024.0 * 1024.0 + 40_000.0), "3 MiB", "rounded before it is judged whole");
        assert_eq!(bytes_text(2.0_f64.powi(50)), "1024 TiB");
    }
}
