//! The instances of the simulated group: launched into a warm-up, removed newest first.

pub(super) struct Fleet {
    /// The minute each instance is in service from.
    ready_at: Vec<usize>,
}

impl Fleet {
    /// A group that starts at `size`, warm.
    pub fn warm(size: u32) -> Self {
        Fleet { ready_at: vec![0; size as usize] }
    }

    pub fn len(&self) -> u32 {
        self.ready_at.len() as u32
    }

    pub fn in_service(&self, t: usize) -> u32 {
        self.ready_at.iter().filter(|r| **r <= t).count() as u32
    }

    pub fn pending(&self, t: usize) -> u32 {
        self.len() - self.in_service(t)
    }

    /// Launch or remove to match `desired` at the end of minute `t`: new instances serve from
    /// `warmup` minutes later; pending ones are removed first.
    pub fn settle(&mut self, t: usize, desired: u32, warmup: usize) {
        while self.len() < desired {
            self.ready_at.push(t + 1 + warmup);
        }
        while self.len() > desired {
            let newest = self.ready_at.iter().enumerate().max_by_key(|(_, r)| **r).map(|(i, _)| i).unwrap_or(0);
            self.ready_at.remove(newest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_instances_warm_up_and_pending_ones_go_first() {
        let mut f = Fleet::warm(2);
        f.settle(0, 4, 3);
        assert_eq!((f.len(), f.in_service(0), f.pending(0)), (4, 2, 2));
        assert_eq!(f.in_service(4), 4, "in service from minute t + 1 + warm-up");
        f.settle(1, 3, 3);
        assert_eq!((f.len(), f.in_service(1)), (3, 2), "a pending instance is removed, not a serving one");
    }
}
