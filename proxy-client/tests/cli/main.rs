//! The client against a real HTTP server: the test double of the API in `support`
//! (axum, upstream's shapes), each subcommand's request (method, path, query, body)
//! and output (human and `--json`), the configuration's precedence, and every error
//! message.

mod support;

mod actions;
mod activations;
mod config;
mod errors;
mod invoke;
mod seam;
