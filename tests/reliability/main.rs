#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Reliability at the socket (issue 4): the real binary, several processes, a private
//! PostgreSQL cluster that the tests stop and start, slow clients and signals. Tests
//! that need PostgreSQL skip with a message when its server programs are not installed.

mod support;
#[path = "../common/workload.rs"]
mod workload;

mod faults;
mod hostile;
mod limits;
mod load;
mod secrets;
