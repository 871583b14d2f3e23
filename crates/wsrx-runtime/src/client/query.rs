//! What the application may ask a running client about its sequence: its identifier, the
//! token it is bound to, the highest number stored (each read under the state lock, no I/O).

use wsrx_store::Backend;

use super::Client;

impl<B: Backend> Client<B> {
    /// The sequence identifier, once created.
    pub async fn sequence_id(&self) -> Option<String> {
        let st = self.inner.state.lock();
        st.created.as_ref().map(|s| s.as_str().to_owned())
    }

    /// The SCT identifier the sequence is bound to.
    pub async fn bound_to(&self) -> Option<String> {
        let st = self.inner.state.lock();
        st.source.binding().map(|b| b.as_str().to_owned())
    }

    /// The highest message number stored in the sequence so far (0 for none): after a
    /// restart, the messages up to it are already the sequence's and will be delivered.
    pub async fn highest_number(&self) -> u64 {
        self.inner.state.lock().source.last_number_assigned()
    }
}
