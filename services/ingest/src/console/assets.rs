//! The stylesheet, compiled into the binary (no CDN, no build step).

use actix_web::{web, HttpResponse};

const CSS: &str = include_str!("assets/console.css");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/console.css", web::get().to(css));
}

async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("cache-control", "public, max-age=3600"))
        .body(CSS)
}
