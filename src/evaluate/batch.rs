//! Running many evaluations at once: up to `jobs` in parallel, each result handed back as
//! soon as it is done so that it can be stored at once.

use std::sync::Mutex;
use std::sync::mpsc;

/// Calls `work` on every item on up to `jobs` threads; `done` receives each result, in
/// completion order, on the calling thread.
pub fn run<I: Send, T: Send>(
    items: Vec<I>,
    jobs: usize,
    work: impl Fn(&I) -> T + Sync,
    mut done: impl FnMut(I, T),
) {
    let queue = Mutex::new(items.into_iter().collect::<std::collections::VecDeque<I>>());
    let (send, receive) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            let send = send.clone();
            let (queue, work) = (&queue, &work);
            scope.spawn(move || {
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
                    let Some(item) = next else { break };
                    let result = work(&item);
                    if send.send((item, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(send);
        for (item, result) in receive {
            done(item, result);
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_item_is_done_once() {
        let mut seen = Vec::new();
        super::run(
            (0..50).collect(),
            4,
            |i| i * 2,
            |i, doubled| seen.push((i, doubled)),
        );
        seen.sort();
        assert_eq!(seen, (0..50).map(|i| (i, i * 2)).collect::<Vec<_>>());
    }
}
