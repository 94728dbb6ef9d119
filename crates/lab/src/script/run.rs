//! Running a [`Script`] on a connection, one step after the other.

use std::io;

use super::conn::ScriptConn;
use super::matcher::describe;
use super::step::{Script, Step};

impl ScriptConn {
    /// Runs every step of `script` in order, stopping at the first failure.
    /// The connection stays usable afterwards (unless a step reset it), so
    /// imperative calls and scripts can be mixed.
    ///
    /// # Errors
    /// The failing step's error, same kind, with a message naming the step
    /// (by index and value) and listing the frames received so far.
    pub async fn run(&mut self, script: &Script) -> io::Result<()> {
        for (index, step) in script.steps().iter().enumerate() {
            if let Err(e) = self.run_step(step).await {
                let received: Vec<String> = self.received().iter().map(describe).collect();
                let msg = format!(
                    "script step {index} ({step:?}) failed: {e}; received so far: [{}]",
                    received.join(", ")
                );
                return Err(io::Error::new(e.kind(), msg));
            }
        }
        Ok(())
    }

    async fn run_step(&mut self, step: &Step) -> io::Result<()> {
        match step {
            Step::ExpectPreface => self.recv_preface().await,
            Step::Handshake(settings) => self.handshake(*settings).await.map(drop),
            Step::ExpectRequest => self.recv_request().await.map(drop),
            Step::ExpectRequestHead => self.recv_request_head().await.map(drop),
            Step::ExpectFrame(matcher) => self.expect_frame(matcher).await.map(drop),
            Step::ExpectNext(matcher) => self.expect_next(matcher).await.map(drop),
            Step::Send(frame) => self.send(frame.clone()).await,
            Step::SendAll(frames) => self.send_all(frames).await,
            Step::SendHeaders { stream, fields, end_stream } => {
                let fields: Vec<(&str, &str)> =
                    fields.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                self.send_headers(*stream, &fields, *end_stream).await
            }
            Step::Respond { stream, status, body } => self.respond(*stream, *status, body).await,
            Step::SendRaw(bytes) => self.send_raw(bytes).await,
            Step::Sleep(duration) => {
                tokio::time::sleep(*duration).await;
                Ok(())
            }
            Step::Close => self.close().await,
            Step::Reset => self.reset(),
            Step::ExpectEof => self.expect_eof().await,
        }
    }
}
