//! The closest known name to a mistyped one (optimal string alignment distance: insertions,
//! deletions, substitutions and swaps of two neighbours each cost 1).

/// Edit distance between `a` and `b`, counting a swap of two neighbours as one edit.
pub fn distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (i, row) in d.chunks_mut(w).enumerate() {
        row[0] = i;
    }
    for (j, x) in d.iter_mut().take(w).enumerate() {
        *x = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// The candidate closest to `name` with its distance (ties: the alphabetically first).
pub fn nearest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<(&'a str, usize)> {
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (c, distance(name, c)))
        .min_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(b.0)))
}

/// Whether `name` looks like a typo of `known` rather than another name: one edit (a swap
/// of two neighbours counts as one), except a digit replaced, added or dropped, which in a
/// part number names another part (`atmel,24c04` and `ti,tmp1075` are real parts, not a
/// mistyped `atmel,24c02` or `ti,tmp105`; `ti,tmp150` is a mistyped `ti,tmp105`).
pub fn is_typo(name: &str, known: &str) -> bool {
    if name == known || name.len() < 4 || distance(name, known) != 1 {
        return false;
    }
    let (a, b) = (name.as_bytes(), known.as_bytes());
    if a.len() == b.len() {
        let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        if let [i] = diff.as_slice() {
            return !(a[*i].is_ascii_digit() && b[*i].is_ascii_digit());
        }
        return true;
    }
    // one byte added or dropped: which one
    let (long, short) = if a.len() > b.len() { (a, b) } else { (b, a) };
    let at = (0..short.len())
        .find(|&i| long[i] != short[i])
        .unwrap_or(short.len());
    !long[at].is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_case_table() {
        for (a, b, d) in [
            ("ti,tmp150", "ti,tmp105", 1),
            ("ti,tmp105", "ti,tmp105", 0),
            ("", "abc", 3),
            ("abc", "", 3),
            ("atmel,24c02", "atmel,24c32", 1),
            ("kitten", "sitting", 3),
            ("ab", "ba", 1),
        ] {
            assert_eq!(distance(a, b), d, "{a} / {b}");
        }
    }

    #[test]
    fn nearest_picks_the_closest() {
        let known = ["ti,tmp105", "atmel,24c02", "arm,pl011"];
        assert_eq!(nearest("ti,tmp150", known), Some(("ti,tmp105", 1)));
        assert_eq!(nearest("arm,pl010", known), Some(("arm,pl011", 1)));
        for (name, known, typo) in [
            ("ti,tmp150", "ti,tmp105", true),
            ("ti,tmp15", "ti,tmp105", false),
            ("ti,tmp1075", "ti,tmp105", false),
            ("ti,tm105", "ti,tmp105", true),
            ("ti,tmp105x", "ti,tmp105", true),
            ("ti,tpm105", "ti,tmp105", true),
            ("tl,tmp105", "ti,tmp105", true),
            ("atmel,24c04", "atmel,24c02", false),
            ("atmel,24c64", "atmel,24c02", false),
            ("ti,tmp105", "ti,tmp105", false),
            ("ab", "ba", false),
            ("vendor,other-part", "ti,tmp105", false),
        ] {
            assert_eq!(is_typo(name, known), typo, "{name} / {known}");
        }
    }
}
