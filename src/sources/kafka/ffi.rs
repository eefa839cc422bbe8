//! All of the Kafka source's unsafe code: librdkafka's ListConsumerGroupOffsets admin call,
//! which the rdkafka crate does not wrap, through its C API. Nothing here outlives a call:
//! every object created is freed by an [`Owned`] guard, and strings are copied out before
//! the event that holds them is destroyed.

use std::ffi::{CStr, CString, c_char};
use std::time::Duration;

use rdkafka::bindings as ffi;
use rdkafka::client::{Client, ClientContext};

use super::error::KafkaError;

/// Frees a librdkafka object when dropped.
struct Owned<T>(*mut T, unsafe extern "C" fn(*mut T));

impl<T> Drop for Owned<T> {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from librdkafka's matching constructor and is freed once.
            unsafe { (self.1)(self.0) }
        }
    }
}

/// # Safety
/// `text` must be null or a NUL-terminated string that outlives the call.
unsafe fn text_of(text: *const c_char) -> String {
    if text.is_null() { String::new() } else { unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned() }
}

/// The committed offsets of `group`: librdkafka's ListConsumerGroupOffsets admin call (an
/// OffsetFetch to the group's coordinator). The rdkafka crate does not wrap it, and a
/// consumer's own `committed_offsets` only reads the group it was created for; without this,
/// every watched group would need a client of its own.
pub(super) fn list_group_offsets<C: ClientContext>(
    client: &Client<C>,
    group: &str,
    timeout: Duration,
) -> Result<Vec<(String, i32, i64)>, KafkaError> {
    let failed = |problem: String| KafkaError::GroupOffsets { group: group.to_owned(), problem };
    let group_id = CString::new(group).map_err(|_| failed("the group name contains NUL".to_owned()))?;
    let timeout_ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
    let client = client.native_ptr();
    // SAFETY: `client` is a live handle, borrowed from its owner for the whole call; every
    // object created here is owned by an `Owned` guard, and the event's result is only read
    // before the event is destroyed; strings are copied out.
    unsafe {
        let queue = Owned(ffi::rd_kafka_queue_new(client), ffi::rd_kafka_queue_destroy);
        let options = Owned(
            ffi::rd_kafka_AdminOptions_new(
                client,
                ffi::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
            ),
            ffi::rd_kafka_AdminOptions_destroy,
        );
        let mut errstr = [0 as c_char; 256];
        ffi::rd_kafka_AdminOptions_set_request_timeout(options.0, timeout_ms, errstr.as_mut_ptr(), errstr.len());
        let request = Owned(
            ffi::rd_kafka_ListConsumerGroupOffsets_new(group_id.as_ptr(), std::ptr::null()),
            ffi::rd_kafka_ListConsumerGroupOffsets_destroy,
        );
        let mut requests = [request.0];
        ffi::rd_kafka_ListConsumerGroupOffsets(client, requests.as_mut_ptr(), 1, options.0, queue.0);
        // The admin request times out by itself; the extra second only covers its delivery.
        let event =
            Owned(ffi::rd_kafka_queue_poll(queue.0, timeout_ms.saturating_add(1000)), ffi::rd_kafka_event_destroy);
        if event.0.is_null() {
            return Err(failed("no answer in time".to_owned()));
        }
        if ffi::rd_kafka_event_error(event.0) != ffi::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            return Err(failed(text_of(ffi::rd_kafka_event_error_string(event.0))));
        }
        let result = ffi::rd_kafka_event_ListConsumerGroupOffsets_result(event.0);
        if result.is_null() {
            return Err(failed("unexpected answer to ListConsumerGroupOffsets".to_owned()));
        }
        let mut count = 0;
        let groups = ffi::rd_kafka_ListConsumerGroupOffsets_result_groups(result, &mut count);
        let mut offsets = Vec::new();
        for index in 0..count {
            let group_result = *groups.add(index);
            let error = ffi::rd_kafka_group_result_error(group_result);
            if !error.is_null() {
                return Err(failed(text_of(ffi::rd_kafka_error_string(error))));
            }
            let list = ffi::rd_kafka_group_result_partitions(group_result);
            if list.is_null() {
                continue;
            }
            let elements = std::slice::from_raw_parts((*list).elems, usize::try_from((*list).cnt).unwrap_or(0));
            for element in elements {
                // No commit for this partition yet: -1001 (RD_KAFKA_OFFSET_INVALID).
                if element.err == ffi::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR && element.offset >= 0 {
                    offsets.push((text_of(element.topic), element.partition, element.offset));
                }
            }
        }
        Ok(offsets)
    }
}
