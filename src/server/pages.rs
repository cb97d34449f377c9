//! Page rendering: minijinja templates, autoescaped; only sanitised Markdown is `|safe`.

use axum::http::header;
use axum::response::{Html, IntoResponse};
use minijinja::Environment;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("message.html", include_str!("templates/message.html")),
    ("candidate.html", include_str!("templates/candidate.html")),
    ("upload.html", include_str!("templates/upload.html")),
    ("queue.html", include_str!("templates/queue.html")),
    ("review.html", include_str!("templates/review.html")),
    ("overview.html", include_str!("templates/overview.html")),
    ("lead.html", include_str!("templates/lead.html")),
    ("cohort.html", include_str!("templates/cohort.html")),
    ("pair.html", include_str!("templates/pair.html")),
    ("interview.html", include_str!("templates/interview.html")),
];
const STYLE: &str = include_str!("templates/style.css");

pub struct Pages {
    env: Environment<'static>,
}

impl Pages {
    pub fn new() -> Pages {
        let mut env = Environment::new();
        // `{{ x|fixed(2) }}`: a number with exactly that many decimals.
        env.add_filter("fixed", |value: f64, digits: usize| {
            format!("{value:.digits$}")
        });
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("template {name}: {e}"));
        }
        Pages { env }
    }

    pub fn render(&self, name: &str, context: minijinja::Value) -> anyhow::Result<Html<String>> {
        Ok(Html(self.env.get_template(name)?.render(context)?))
    }
}

/// A page with a heading and one message, for errors and confirmations.
pub fn render_message(heading: &str, message: &str) -> anyhow::Result<String> {
    thread_local! {
        static PAGES: Pages = Pages::new();
    }
    PAGES.with(|pages| {
        Ok(pages
            .render("message.html", minijinja::context! { heading, message })?
            .0)
    })
}

pub async fn landing() -> impl IntoResponse {
    Html(render_message(
        "takehome",
        "Open the personal link you were given: candidates received theirs with the assignment, reviewers from the organiser.",
    )
    .unwrap_or_default())
}

pub async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE)
}
