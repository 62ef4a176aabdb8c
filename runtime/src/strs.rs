//! A short list of `&str` kept on the stack: the segments of a request
//! path and the components of a query key are counted per request, and a
//! heap allocation for each would cost more than the matching itself.

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
    use super::Strs;

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
