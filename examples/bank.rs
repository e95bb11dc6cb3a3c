// A small bank, to show gort::sync: tellers move money between accounts
// under a Mutex, an auditor checks the books under the same Mutex while
// reading the fee rate under an RwLock, a Once opens the bank exactly once,
// a Cond tells main when every teller is done, and goroutine-local storage
// counts each teller's own transfers (a thread_local! would not do: a
// goroutine may move between threads at every lock it waits for).
//
// Run it: cargo run --example bank

// ANCHOR: all
use gort::sync::{Cond, Mutex, Once, RwLock};
use std::cell::Cell;
use std::sync::Arc;

const ACCOUNTS: usize = 10;
const OPENING: i64 = 1_000;
const TELLERS: usize = 8;
const TRANSFERS: usize = 500;

gort::goroutine_local! {
    /// Transfers made by the current goroutine.
    static MINE: Cell<usize> = Cell::new(0);
}

struct Bank {
    accounts: Mutex<Vec<i64>>,
    fee: RwLock<i64>,
    opened: Once,
    /// Tellers still working; `all_done` is signalled when it reaches zero.
    working: Mutex<usize>,
    all_done: Cond,
}

impl Bank {
    fn open(&self) {
        self.opened.call_once(|| {
            *self.accounts.lock() = vec![OPENING; ACCOUNTS];
            println!("bank opened with {ACCOUNTS} accounts of {OPENING}");
        });
    }

    /// Move `amount` (plus the fee, paid into account 0) from one account
    /// to another, if the money is there.
    fn transfer(&self, from: usize, to: usize, amount: i64) {
        let fee = *self.fee.read();
        let mut accounts = self.accounts.lock();
        if accounts[from] >= amount + fee {
            accounts[from] -= amount + fee;
            accounts[to] += amount;
            accounts[0] += fee;
            MINE.set(MINE.get() + 1);
        }
        drop(accounts);
        gort::yield_now(); // let the others in
    }

    fn total(&self) -> i64 {
        self.accounts.lock().iter().sum()
    }
}

fn teller(id: usize, bank: Arc<Bank>) {
    bank.open();
    for i in 0..TRANSFERS {
        let from = (id * 7 + i * 3) % ACCOUNTS;
        let to = (id + i * 5 + 1) % ACCOUNTS;
        bank.transfer(from, to, (i % 50) as i64);
    }
    println!("teller {id} made {} transfers", MINE.get());
    let mut working = bank.working.lock();
    *working -= 1;
    if *working == 0 {
        bank.all_done.notify_all();
    }
}

#[gort::main]
fn main() {
    let bank = Arc::new(Bank {
        accounts: Mutex::new(Vec::new()),
        fee: RwLock::new(0),
        opened: Once::new(),
        working: Mutex::new(TELLERS),
        all_done: Cond::new(),
    });
    for id in 0..TELLERS {
        gort::go!(teller(id, bank.clone()));
    }
    *bank.fee.write() = 1; // fees start while the tellers work
    let mut working = bank.working.lock();
    while *working > 0 {
        working = bank.all_done.wait(working); // releases the lock while waiting
    }
    drop(working);
    // Fees move money into account 0; nothing is created or lost.
    assert_eq!(bank.total(), OPENING * ACCOUNTS as i64);
    println!("books balance: {} in total", bank.total());
}
// ANCHOR_END: all
