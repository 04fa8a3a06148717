use uuid::Uuid;

/// A new time-ordered id (UUID v7), so indexes on ids stay append-mostly.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}
