//! What the OpenAPI specification requires of the document beyond what utoipa collects, so
//! that validators (openapi-spec-validator) and client generators (openapi-python-client)
//! accept it: a description on every response, and operation ids unique in the document.

use super::{error_meaning, operations};
use utoipa::openapi::response::Response;
use utoipa::openapi::{Content, OpenApi, RefOr};

/// Gives every response that its annotation left without one a description: the OpenAPI
/// specification requires it, and client generators (openapi-python-client) and validators
/// (openapi-spec-validator) refuse a document without. Errors get their meaning on every route;
/// a success names its body's schema.
pub(super) fn describe_responses(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for op in operations(item) {
            for (status, response) in op.responses.responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                if !response.description.is_empty() {
                    continue;
                }
                let code: u16 = status.parse().unwrap_or(0);
                response.description = if (200..300).contains(&code) {
                    success_meaning(code, response)
                } else {
                    error_meaning(code).to_owned()
                };
            }
        }
    }
}

fn success_meaning(status: u16, response: &Response) -> String {
    let outcome = match status {
        201 => "Created",
        202 => "Accepted",
        204 => "Done, no body",
        _ => "Success",
    };
    // `#/components/schemas/SourceModel` → `SourceModel`.
    let schema = response.content.values().find_map(|c| match c {
        RefOr::T(Content {
            schema: Some(RefOr::Ref(r)),
            ..
        }) => r.ref_location.rsplit('/').next().map(str::to_owned),
        _ => None,
    });
    match schema {
        Some(name) => format!("{outcome}: a `{name}`."),
        None => format!("{outcome}."),
    }
}

/// Makes every `operationId` unique, as the specification requires (client generators name
/// their functions after it): utoipa takes the handler's name, and many modules have a
/// `list` or a `create`. Each becomes `<resource>_<handler>`: the tag (`apps_create`), or for
/// the gateway's routes the path's first segment (`sources_list`, `events_retry`).
pub(super) fn name_operations(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let gateway_resource = path
            .strip_prefix("/2024-03-01/")
            .and_then(|rest| rest.split('/').next())
            .map(str::to_owned);
        for op in operations(item) {
            let resource = gateway_resource
                .clone()
                .or_else(|| op.tags.as_ref().and_then(|t| t.first().cloned()));
            if let (Some(resource), Some(id)) = (resource, op.operation_id.as_mut()) {
                *id = format!("{resource}_{id}");
            }
        }
    }
}
