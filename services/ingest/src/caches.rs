use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// A small map whose entries expire, for what every request reads (which app belongs to which
/// organization, compiled event type schemas). Changes made through this replica invalidate at
/// once; changes made through another replica are seen within the TTL.
pub struct TtlCache<K, V> {
    ttl: Duration,
    capacity: usize,
    map: RwLock<HashMap<K, (V, Instant)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration) -> Self {
        Self::bounded(ttl, usize::MAX)
    }

    /// A cache that never holds more than `capacity` entries: when it is full of live entries,
    /// new ones are not kept (for what an attacker can fill, such as unknown API keys).
    pub fn bounded(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity,
            map: RwLock::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let map = self.map.read().expect("cache lock");
        map.get(key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(v, _)| v.clone())
    }

    pub fn insert(&self, key: K, value: V) {
        let mut map = self.map.write().expect("cache lock");
        // Bounded: drop expired entries when it grows.
        if map.len() > 10_000.min(self.capacity.saturating_sub(1)) {
            let ttl = self.ttl;
            map.retain(|_, (_, at)| at.elapsed() < ttl);
        }
        if map.len() >= self.capacity && !map.contains_key(&key) {
            return;
        }
        map.insert(key, (value, Instant::now()));
    }

    pub fn remove_where(&self, pred: impl Fn(&K) -> bool) {
        self.map
            .write()
            .expect("cache lock")
            .retain(|k, _| !pred(k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_can_be_removed() {
        // Reads of live entries use a TTL no stall reaches; expiry, a short one slept past
        // (a sleep is a lower bound, so a loaded machine cannot make it flaky).
        let cache = TtlCache::new(Duration::from_secs(3600));
        cache.insert(1, "a");
        cache.insert(2, "b");
        assert_eq!(cache.get(&1), Some("a"));
        cache.remove_where(|k| *k == 1);
        assert_eq!(cache.get(&1), None);
        assert_eq!(cache.get(&2), Some("b"));
        let short = TtlCache::new(Duration::from_millis(30));
        short.insert(2, "b");
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(short.get(&2), None);
    }

    #[test]
    fn a_bounded_cache_keeps_no_more_than_its_capacity() {
        let cache = TtlCache::bounded(Duration::from_secs(60), 2);
        for k in 0..5 {
            cache.insert(k, ());
        }
        assert_eq!(cache.get(&0), Some(()));
        assert_eq!(cache.get(&1), Some(()));
        assert_eq!(cache.get(&4), None);
    }
}
