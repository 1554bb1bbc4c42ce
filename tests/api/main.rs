#![allow(clippy::unwrap_used, clippy::expect_used)]

//! The HTTP test suite: every test drives the real router against a fresh real database,
//! once on SQLite and once on PostgreSQL (`DATABASE_URL` names the PostgreSQL server in
//! which `#[sqlx::test]` creates a database per test).

#[macro_use]
mod support;

mod auth;
mod authz;
mod batch;
mod directory;
mod errors;
mod fixtures;
mod generic;
mod hostile;
mod jwt;
mod lists;
mod login_race;
mod migrations;
mod mobile_signature;
mod mtan;
mod mtan_login;
mod oath;
mod oath_login;
mod openapi;
mod ops;
mod password;
mod password_change;
mod password_login;
mod plans;
mod pool;
mod principal;
mod race;
mod self_admin;
mod ticket;
mod ticket_login;
#[path = "../common/workload.rs"]
mod workload;
mod world;
