//! Per-thread pools of reusable buffers, so that a warm search allocates nothing: the text
//! index's accumulators and the ranked search's hit and candidate buffers. Every pool of the
//! crate is here: what is kept (buffers of any type, by type), how many (the [`KEEP`] largest
//! per type and thread) and how large (each caller's cap).

use std::any::Any;
use std::cell::RefCell;

/// Buffers of one type kept per thread: a search holds two accumulators at once.
const KEEP: usize = 2;

thread_local! {
    /// One `Vec<T>` of pooled buffers per type `T`.
    static POOLS: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
}

/// This thread's pooled buffer of type `T` with the largest `size`, if there is one. The
/// largest, because a small buffer taken for a big query would mean a fresh multi-megabyte
/// allocation every time.
pub(crate) fn take<T: 'static>(size: impl Fn(&T) -> usize) -> Option<T> {
    POOLS
        .try_with(|pools| {
            let mut pools = pools.try_borrow_mut().ok()?;
            let list = pools.iter_mut().find_map(|b| b.downcast_mut::<Vec<T>>())?;
            let i = (0..list.len()).max_by_key(|&i| size(&list[i]))?;
            Some(list.swap_remove(i))
        })
        .ok()
        .flatten()
}

/// Keeps `buffer` (emptied by the caller, ready for reuse) for this thread, unless its `size`
/// is over `max_size`. Of the buffers of its type, the [`KEEP`] largest stay.
pub(crate) fn give_back<T: 'static>(buffer: T, size: impl Fn(&T) -> usize, max_size: usize) {
    if size(&buffer) > max_size {
        return;
    }
    let _ = POOLS.try_with(|pools| {
        let Ok(mut pools) = pools.try_borrow_mut() else {
            return;
        };
        let i = match pools.iter().position(|b| b.is::<Vec<T>>()) {
            Some(i) => i,
            None => {
                pools.push(Box::new(Vec::<T>::new()));
                pools.len() - 1
            }
        };
        let Some(list) = pools[i].downcast_mut::<Vec<T>>() else {
            return;
        };
        list.push(buffer);
        if list.len() > KEEP {
            if let Some(j) = (0..list.len()).min_by_key(|&j| size(&list[j])) {
                list.swap_remove(j);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_largest_buffers_per_type_under_the_cap() {
        let len = |v: &Vec<u8>| v.capacity();
        for n in [10, 30, 20] {
            give_back(Vec::<u8>::with_capacity(n), len, 25);
        }
        give_back(Vec::<u16>::with_capacity(99), Vec::capacity, 1000);
        // 30 was over the cap; 10 and 20 were kept, the largest first.
        assert!(take(len).is_some_and(|v| v.capacity() >= 20));
        assert!(take(len).is_some_and(|v| v.capacity() >= 10));
        assert!(take(len).is_none());
        assert!(take::<Vec<u16>>(Vec::capacity).is_some());
        for n in [5, 6, 7] {
            give_back(Vec::<u8>::with_capacity(n), len, 25);
        }
        let kept: Vec<usize> = std::iter::from_fn(|| take(len).map(|v| v.capacity())).collect();
        assert_eq!(kept.len(), KEEP);
        assert!(kept[0] >= 7 && kept[1] >= 6);
    }
}
