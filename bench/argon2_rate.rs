//! The physical limit of password logins on this machine (bench/run): argon2id verifies
//! per second with the server's own parameters (`domain::password`), on as many threads
//! as the server has hashing slots. A password login cannot go faster than this.
//!
//! Usage: `argon2_rate SECONDS`; prints `RESULT <verifies per second> <threads>`.

use std::time::{Duration, Instant};

use idm_credentials::domain::password;
use idm_credentials::service::hashing::hashing_slot_count;

fn main() -> Result<(), String> {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let threads = hashing_slot_count();
    let plain = "Bench-Passw0rd-0";
    let hash = password::hash(plain)?;
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(seconds);
    let verified: Result<u64, String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = 0u64;
                    while Instant::now() < until {
                        if password::verify(plain, &hash) != Some(true) {
                            return Err("the password does not verify against its hash");
                        }
                        done += 1;
                    }
                    Ok(done)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| match w.join() {
                Ok(Ok(done)) => Ok(done),
                Ok(Err(e)) => Err(e.to_owned()),
                Err(_) => Err("a verify thread panicked".to_owned()),
            })
            .sum()
    });
    let verified = verified?;
    let elapsed = started.elapsed().as_secs_f64();
    println!("RESULT {:.1} {threads}", verified as f64 / elapsed);
    Ok(())
}
