//! `#[gort::preemptible]` on a fn, an impl block (const fns skipped) and an inline
//! module with a nested one, generic fns included.

struct Counter(u64);

#[gort::preemptible]
impl Counter {
    fn bump(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
    const fn zero() -> Counter {
        Counter(0)
    }
}

#[gort::preemptible]
mod work {
    pub fn sum<T: Into<u64> + Copy>(xs: &[T]) -> u64 {
        xs.iter().map(|&x| x.into()).sum()
    }
    pub mod inner {
        pub fn triple(x: u64) -> u64 {
            3 * x
        }
    }
}

#[gort::preemptible]
fn spin(n: u64) -> u64 {
    let mut x = 0u64;
    for i in 0..n {
        x = x.wrapping_mul(3).wrapping_add(i);
    }
    x
}

fn main() {
    let total = gort::run(|| {
        let mut c = Counter::zero();
        c.bump();
        work::inner::triple(work::sum(&[1u32, 2, 3])) + c.bump() + spin(0)
    });
    assert_eq!(total, 20);
}
