//! The endpoint page's ordering section (issue 18): for a fifo endpoint, each lane's head and
//! what waits behind it, from the function the JSON route calls.

use super::status_cell;
use crate::console::error::PageError;
use crate::console::surface::Surface;
use crate::routes::ordering::endpoint_ordering;
use crate::state::AppState;
use hookd_domain::{Endpoint, EndpointOrdering};
use maud::{html, Markup};

pub async fn section(
    state: &AppState,
    surface: &Surface<'_>,
    e: &Endpoint,
) -> Result<Markup, PageError> {
    if e.ordering != EndpointOrdering::Fifo {
        return Ok(html! {});
    }
    let ordering = endpoint_ordering(state, &surface.caller, e.id).await?;
    Ok(html! {
        section aria-labelledby="lanes-h" {
            h2 #lanes-h { "Ordering" }
            p {
                "In order (fifo)"
                @if let Some(key) = &e.ordering_key { ", one lane per value of " code { (key) } }
                ". A message goes once the one before it in its lane has succeeded or failed."
            }
            @if ordering.lanes.is_empty() {
                p { "Nothing waiting." }
            } @else {
                table {
                    thead { tr {
                        th scope="col" { "Lane" } th scope="col" { "Waiting" }
                        th scope="col" { "Head message" } th scope="col" { "Head status" }
                        th scope="col" { "Head attempts" }
                    } }
                    tbody {
                        @for lane in &ordering.lanes {
                            tr {
                                td { code { (lane.key.as_deref().unwrap_or("(no key)")) } }
                                td { (lane.waiting) }
                                td { code { (lane.head_message_id) } }
                                td { (status_cell(&lane.head_status)) }
                                td { (lane.head_attempt_count) }
                            }
                        }
                    }
                }
            }
        }
    })
}
