//! idm-credentials: a drop-in nevisIDM Core REST API server for user credentials.
//!
//! Requests flow one way: [`api`] -> [`service`] -> [`store`], with [`domain`] used by
//! all and depending on none. Each credential type is one module of [`types`], with a
//! file per layer. See ARCHITECTURE.md.

/// HTTP routers (one per credential type) and extractors.
pub mod api;
/// Shared state, the router with its middleware, serving.
pub mod app;
/// Bearer JWT and X-Token verification, roles and permissions, the `Caller`.
pub mod auth;
/// Flags and environment variables.
pub mod config;
/// Pure types and rules of the credential model.
pub mod domain;
/// The one error type and its nevisIDM error envelope.
pub mod error;
/// Fixture files: import (one transaction, idempotent) and export, and their schema.
pub mod fixtures;
/// Log lines to stderr, buffered and flushed in batches.
pub mod log_buffer;
/// Prometheus metrics and the per-request log line.
pub mod observe;
/// The connection loop: header-read and keep-alive timeouts, graceful shutdown.
pub mod server;
/// Use cases: authorize, validate, load, check, write, answer.
pub mod service;
/// Persistence on PostgreSQL or SQLite.
pub mod store;
/// The credential types, one module each, and the one list that registers them.
pub mod types;
