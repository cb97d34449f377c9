//! Who is asking: secret links resolved through their stored hashes, and CSRF tokens.

use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};

use super::{App, Failure, Result};
use crate::issue::identity;
use crate::store::CandidateRow;
use crate::store::reviews::ReviewerRow;

/// The candidate whose link carries `token`; anything else is a 404.
pub async fn candidate(app: &App, token: &str) -> Result<CandidateRow> {
    if !plausible(token) {
        return Err(Failure::NotFound);
    }
    app.workspace
        .store
        .candidate_by_token(&identity::token_hash(token))
        .await?
        .ok_or(Failure::NotFound)
}

/// The reviewer whose link carries `token`; anything else is a 404.
pub async fn reviewer(app: &App, token: &str) -> Result<ReviewerRow> {
    if !plausible(token) {
        return Err(Failure::NotFound);
    }
    app.workspace
        .store
        .reviewer_by_token(&identity::token_hash(token))
        .await?
        .ok_or(Failure::NotFound)
}

/// The hiring lead whose link carries `token`; anything else is a 404.
pub async fn lead(app: &App, token: &str) -> Result<crate::store::cohort::LeadRow> {
    if !plausible(token) {
        return Err(Failure::NotFound);
    }
    app.workspace
        .store
        .lead_by_token(&identity::token_hash(token))
        .await?
        .ok_or(Failure::NotFound)
}

/// Tokens are 64 lowercase hex characters; anything else is not looked up.
fn plausible(token: &str) -> bool {
    token.len() == 64
        && token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The CSRF token of the forms shown to the holder of `token`: bound to that link and to
/// this workspace's secret key, so a page of another site cannot know it.
pub fn csrf_token(app: &App, token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(app.csrf_key.as_bytes());
    hasher.update(b"\0csrf\0");
    hasher.update(identity::token_hash(token).as_bytes());
    hex::encode(hasher.finalize())
}

/// Refuses a form whose CSRF token is wrong or missing, or that a browser says came from
/// another origin.
pub fn check_form(app: &App, token: &str, headers: &HeaderMap, given: Option<&str>) -> Result<()> {
    if let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        if origin_host != host {
            return Err(Failure::Forbidden);
        }
    }
    let expected = csrf_token(app, token);
    match given {
        Some(given) if constant_time_eq(given.as_bytes(), expected.as_bytes()) => Ok(()),
        _ => Err(Failure::Forbidden),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
