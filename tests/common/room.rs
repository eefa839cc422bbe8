//! Rooms: one test binary holds several modules that share one real stack. The tests of a
//! module may run together (each file was a binary of its own before, so they were written
//! for that), but a module never runs beside another: one stops PostgreSQL, another loads
//! the machine on purpose, and timing-sensitive checks must not pay for a neighbour.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Who is in the room, and how many of them.
static OCCUPANT: Mutex<Option<(&str, usize)>> = Mutex::new(None);
static FREED: Condvar = Condvar::new();

/// Held by a test while it runs; the last of a module to leave frees the room.
pub struct Room(&'static str);

/// Waits until no other module's test is running, then enters as `module`.
pub fn enter(module: &'static str) -> Room {
    let mut occupant = lock();
    loop {
        match &mut *occupant {
            None => {
                *occupant = Some((module, 1));
                return Room(module);
            }
            Some((inside, count)) if *inside == module => {
                *count += 1;
                return Room(module);
            }
            Some(_) => occupant = FREED.wait(occupant).unwrap_or_else(PoisonError::into_inner),
        }
    }
}

impl Drop for Room {
    fn drop(&mut self) {
        let mut occupant = lock();
        if let Some((inside, count)) = &mut *occupant {
            debug_assert_eq!(*inside, self.0);
            *count -= 1;
            if *count == 0 {
                *occupant = None;
                FREED.notify_all();
            }
        }
    }
}

/// A test that panicked inside the room must not lock the others out.
fn lock() -> MutexGuard<'static, Option<(&'static str, usize)>> {
    OCCUPANT.lock().unwrap_or_else(PoisonError::into_inner)
}
