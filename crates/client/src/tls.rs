//! TLS client settings (rustls with ALPN). The trusted roots are checked
//! when the client is built, so a bad certificate is a builder error; the
//! rustls configurations themselves are made on the first `https`
//! connection, so a client that only speaks `http` never builds them (their
//! session caches and verifier cost about 50 KiB of heap, and their code's
//! pages would be touched for nothing).

use std::sync::{Arc, OnceLock};

use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::{ConfigBuilder, RootCertStore, WantsVerifier};

use crate::error::Error;

/// Which certificates a TLS connection trusts.
#[derive(Clone)]
pub(crate) enum Trust {
    /// Mozilla's roots (webpki-roots) plus any added certificates.
    Roots(Vec<CertificateDer<'static>>),
    /// The operating system's store plus any added certificates.
    Native(Vec<CertificateDer<'static>>),
    /// Only these certificates.
    Only(Vec<CertificateDer<'static>>),
    /// Anything: for tests against self-signed servers only.
    DangerAcceptAny,
}

/// The roots a verifier will trust, checked at build time.
enum Verify {
    Roots(Arc<RootCertStore>),
    DangerAcceptAny,
}

/// The two client configurations: ALPN offering h2 then http/1.1 (or only
/// http/1.1 for an HTTP/1.1-only client), and http/1.1 alone (after a
/// server answered HTTP_1_1_REQUIRED, RFC 9113 §9.2.1).
struct Configs {
    h2: Arc<rustls::ClientConfig>,
    h1: Arc<rustls::ClientConfig>,
}

/// The client's TLS settings, built on first use.
pub(crate) struct Tls {
    /// The ring provider with TLS 1.2 and 1.3, the step that can fail.
    builder: ConfigBuilder<rustls::ClientConfig, WantsVerifier>,
    provider: Arc<CryptoProvider>,
    verify: Verify,
    http1_only: bool,
    configs: OnceLock<Configs>,
}

impl Tls {
    /// Checks `trust` now: every added certificate must parse, and
    /// [`Trust::Native`] must find at least one usable system certificate.
    pub(crate) fn new(trust: Trust, http1_only: bool) -> Result<Self, Error> {
        let verify = match trust {
            Trust::DangerAcceptAny => Verify::DangerAcceptAny,
            Trust::Roots(extra) => Verify::Roots(Arc::new(roots(webpki(), extra)?)),
            Trust::Native(extra) => Verify::Roots(Arc::new(roots(native()?, extra)?)),
            Trust::Only(extra) => Verify::Roots(Arc::new(roots(RootCertStore::empty(), extra)?)),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::builder("TLS setup failed").with_source(e))?;
        Ok(Self { builder, provider, verify, http1_only, configs: OnceLock::new() })
    }

    /// The configuration for a connection: ALPN http/1.1 only if `force_h1`.
    pub(crate) fn config(&self, force_h1: bool) -> Arc<rustls::ClientConfig> {
        let configs = self.configs.get_or_init(|| self.build());
        if force_h1 { configs.h1.clone() } else { configs.h2.clone() }
    }

    fn build(&self) -> Configs {
        let builder = self.builder.clone();
        let mut h2 = match &self.verify {
            Verify::Roots(roots) => builder.with_root_certificates(roots.clone()).with_no_client_auth(),
            Verify::DangerAcceptAny => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(danger::AcceptAny(self.provider.clone())))
                .with_no_client_auth(),
        };
        let mut h1 = h2.clone();
        h1.alpn_protocols = vec![b"http/1.1".to_vec()];
        h2.alpn_protocols = if self.http1_only {
            vec![b"http/1.1".to_vec()]
        } else {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        };
        Configs { h2: Arc::new(h2), h1: Arc::new(h1) }
    }
}

fn webpki() -> RootCertStore {
    RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() }
}

fn native() -> Result<RootCertStore, Error> {
    let native = rustls_native_certs::load_native_certs();
    if native.certs.is_empty() {
        let why = native.errors.first().map_or_else(|| "none found".to_owned(), ToString::to_string);
        return Err(Error::builder(format!("no usable native root certificates: {why}")));
    }
    let mut roots = RootCertStore::empty();
    // Certificates the store holds but rustls cannot parse are skipped, as
    // browsers do.
    let _ = roots.add_parsable_certificates(native.certs);
    Ok(roots)
}

/// `base` plus the user's certificates, each of which must parse.
fn roots(mut base: RootCertStore, extra: Vec<CertificateDer<'static>>) -> Result<RootCertStore, Error> {
    for cert in extra {
        base.add(cert).map_err(|e| Error::builder("invalid root certificate").with_source(e))?;
    }
    Ok(base)
}

mod danger {
    //! A verifier that accepts any certificate. Only reachable through
    //! `ClientBuilder::danger_accept_invalid_certs(true)`.

    use std::sync::Arc;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, SignatureScheme};

    #[derive(Debug)]
    pub(super) struct AcceptAny(pub(super) Arc<CryptoProvider>);

    impl ServerCertVerifier for AcceptAny {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}
