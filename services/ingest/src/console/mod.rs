//! The web console (`/console`) and subscriber portal (`/portal`) of CONSOLE.md: pages
//! rendered on the server with maud, forms that post and redirect (no JavaScript needed).
//! Every action calls the same function as its JSON route; this module only parses forms,
//! checks sessions and CSRF, and renders.

mod assets;
mod charts;
mod csrf;
mod error;
mod form;
mod headers;
mod layout;
mod limiter;
mod login;
mod pages;
mod portal;
mod session;
mod surface;
mod token;

use actix_web::middleware::from_fn;
use actix_web::web;

pub use limiter::LoginLimiter;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/assets")
            .wrap(from_fn(headers::secure))
            .configure(assets::configure),
    )
    .service(
        web::scope("/console")
            .wrap(from_fn(headers::secure))
            .configure(login::configure)
            .configure(pages::configure_console)
            .default_service(web::to(error::not_found)),
    )
    .service(
        web::scope("/portal")
            .wrap(from_fn(headers::secure))
            .configure(portal::configure)
            .default_service(web::to(error::not_found)),
    );
}
