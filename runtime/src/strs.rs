//! Small string tools for the per-request path: a short list of `&str`
//! kept on the stack (the segments of a request path, the components of a
//! query key), and ASCII searches by byte. A heap allocation per list, or
//! `str::find`'s general searcher per call, would cost more than the
//! matching itself on strings this short.

/// Byte offset of the first `byte` (ASCII) in `s`.
pub(crate) fn find(s: &str, byte: u8) -> Option<usize> {
    s.bytes().position(|b| b == byte)
}

/// `s` split at the first `byte` (ASCII), like `str::split_once`.
pub(crate) fn split_once(s: &str, byte: u8) -> Option<(&str, &str)> {
    // An ASCII byte is always a character boundary, so slicing is safe.
    find(s, byte).map(|i| (&s[..i], &s[i + 1..]))
}

/// `s` split at every `byte` (ASCII), like `str::split`.
pub(crate) fn split(s: &str, byte: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let current = rest?;
        match split_once(current, byte) {
            Some((head, tail)) => {
                rest = Some(tail);
                Some(head)
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// Up to `N` string slices inline, more on the heap.
#[derive(Debug, Clone)]
pub(crate) enum Strs<'a, const N: usize> {
    Inline([&'a str; N], usize),
    Heap(Vec<&'a str>),
}

impl<'a, const N: usize> Strs<'a, N> {
    pub(crate) fn new() -> Self {
        Strs::Inline([""; N], 0)
    }

    pub(crate) fn push(&mut self, s: &'a str) {
        match self {
            Strs::Inline(items, len) if *len < N => {
                items[*len] = s;
                *len += 1;
            }
            Strs::Inline(items, _) => {
                let mut heap = Vec::with_capacity(N * 2);
                heap.extend_from_slice(items);
                heap.push(s);
                *self = Strs::Heap(heap);
            }
            Strs::Heap(items) => items.push(s),
        }
    }
}

impl<'a, const N: usize> std::ops::Deref for Strs<'a, N> {
    type Target = [&'a str];

    fn deref(&self) -> &[&'a str] {
        match self {
            Strs::Inline(items, len) => &items[..*len],
            Strs::Heap(items) => items,
        }
    }
}

impl<'a, const N: usize> FromIterator<&'a str> for Strs<'a, N> {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut out = Strs::new();
        for s in iter {
            out.push(s);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_searches_agree_with_str() {
        for s in ["", "a", "/", "a/b", "/a//b/", "é/ü/", "ab/cd/é"] {
            assert_eq!(
                split(s, b'/').collect::<Vec<_>>(),
                s.split('/').collect::<Vec<_>>()
            );
            assert_eq!(split_once(s, b'/'), s.split_once('/'));
            assert_eq!(find(s, b'/'), s.find('/'));
        }
    }

    #[test]
    fn spills_to_the_heap_in_order() {
        let words: Vec<String> = (0..9).map(|i| i.to_string()).collect();
        for n in 0..words.len() {
            let strs: Strs<'_, 4> = words[..n].iter().map(String::as_str).collect();
            assert_eq!(&*strs, &words[..n]);
            assert_eq!(matches!(strs, Strs::Heap(_)), n > 4);
        }
    }
}
