//! The route table: every path of the web application, its method and who may use it. It
//! builds the router, and the access-matrix test reads it, so no route exists without a rule.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodFilter, MethodRouter, on};

use super::{App, DRAIN_BYTES, Failure, candidate, interview, lead, pages, reviewer};

/// Who may use a route. Everyone else gets the same 404, whatever the method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// Anyone, without a link.
    Anyone,
    /// The candidate whose link carries `{token}`.
    Candidate,
    /// Any reviewer, by their link `{token}`.
    Reviewer,
    /// A reviewer assigned to candidate `{pseudonym}` (never one with a conflict with them).
    AssignedReviewer,
    /// An assigned reviewer who has submitted their review of `{pseudonym}`.
    SubmittedReviewer,
    /// A hiring lead, by their link `{token}`.
    Lead,
}

/// The methods a route answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// GET, and HEAD with the same answer and no body.
    Get,
    Post,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
        }
    }

    fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
        }
    }
}

/// One row of the table.
pub struct Route {
    pub verb: Verb,
    /// An axum path: `{token}` is the holder's secret link; `{pseudonym}`, `{assignment}`,
    /// `{file}`, `{left}` and `{right}` name what is asked for.
    pub path: &'static str,
    pub who: Who,
    handler: fn(MethodFilter, &App) -> MethodRouter<Arc<App>>,
}

const fn route(
    verb: Verb,
    path: &'static str,
    who: Who,
    handler: fn(MethodFilter, &App) -> MethodRouter<Arc<App>>,
) -> Route {
    Route {
        verb,
        path,
        who,
        handler,
    }
}

use Verb::{Get, Post};
use Who::{Anyone, AssignedReviewer, Candidate, Lead, Reviewer, SubmittedReviewer};

/// Every route of the application.
pub const ROUTES: &[Route] = &[
    route(Get, "/", Anyone, |m, _| on(m, pages::landing)),
    route(Get, "/style.css", Anyone, |m, _| on(m, pages::style)),
    route(Get, "/c/{token}", Candidate, |m, _| {
        on(m, candidate::portal)
    }),
    route(Get, "/c/{token}/bundle", Candidate, |m, _| {
        on(m, candidate::bundle)
    }),
    // Past the cap an upload is still read (and thrown away) up to DRAIN_BYTES more, so that
    // the client gets its 413 rather than a connection reset mid-send.
    route(Post, "/c/{token}/upload", Candidate, |m, app| {
        on(m, candidate::upload).layer(DefaultBodyLimit::max(
            (app.max_upload + DRAIN_BYTES) as usize,
        ))
    }),
    route(Get, "/r/{token}", Reviewer, |m, _| on(m, reviewer::queue)),
    route(
        Get,
        "/r/{token}/review/{pseudonym}",
        AssignedReviewer,
        |m, _| on(m, reviewer::review),
    ),
    route(
        Post,
        "/r/{token}/review/{pseudonym}",
        AssignedReviewer,
        |m, _| on(m, reviewer::save),
    ),
    route(
        Get,
        "/r/{token}/packet/{pseudonym}",
        AssignedReviewer,
        |m, _| on(m, reviewer::packet),
    ),
    route(
        Post,
        "/r/{token}/comment/{pseudonym}",
        AssignedReviewer,
        |m, _| on(m, reviewer::comment),
    ),
    route(
        Get,
        "/r/{token}/interview/{pseudonym}",
        SubmittedReviewer,
        |m, _| on(m, interview::for_reviewer),
    ),
    route(Get, "/r/{token}/overview/{assignment}", Reviewer, |m, _| {
        on(m, reviewer::overview)
    }),
    route(Get, "/r/{token}/export/{file}", Reviewer, |m, _| {
        on(m, reviewer::export)
    }),
    route(Get, "/l/{token}", Lead, |m, _| on(m, lead::home)),
    route(Get, "/l/{token}/cohort/{assignment}", Lead, |m, _| {
        on(m, lead::page)
    }),
    route(
        Get,
        "/l/{token}/pair/{assignment}/{left}/{right}",
        Lead,
        |m, _| on(m, lead::pair),
    ),
    route(Get, "/l/{token}/interview/{pseudonym}", Lead, |m, _| {
        on(m, interview::for_lead)
    }),
    route(Get, "/l/{token}/export/{file}", Lead, |m, _| {
        on(m, lead::export)
    }),
];

/// The router of [`ROUTES`]: a method a path does not answer is the same 404 as an unknown
/// path (not 405), so that a probe learns nothing of what exists.
pub fn router(app: &App) -> Router<Arc<App>> {
    let mut paths: BTreeMap<&str, MethodRouter<Arc<App>>> = BTreeMap::new();
    for route in ROUTES {
        let handler = (route.handler)(route.verb.filter(), app);
        let merged = match paths.remove(route.path) {
            Some(existing) => existing.merge(handler),
            None => handler,
        };
        paths.insert(route.path, merged);
    }
    paths
        .into_iter()
        .fold(Router::new(), |router, (path, methods)| {
            router.route(path, methods.fallback(|| async { Failure::NotFound }))
        })
        .fallback(|| async { Failure::NotFound })
}
