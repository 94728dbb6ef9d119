//! TLS options: [`Identity`] (a client certificate, for mutual TLS),
//! [`Version`] (the builder's version bounds) and [`CryptoProvider`], for
//! [`ClientBuilder::identity`](crate::ClientBuilder::identity) and its
//! siblings.
//!
//! The trusted roots and the client identity are checked when the client is
//! built, so a bad certificate or a key that does not match is a builder
//! error; the rustls configurations themselves are made on the first
//! `https` connection, so a client that only speaks `http` never builds
//! them (their session caches and verifier cost about 50 KiB of heap, and
//! their code's pages would be touched for nothing).

mod builder;
mod identity;
mod provider;
mod version;

pub use identity::Identity;
pub use provider::CryptoProvider;
pub use version::Version;

use std::sync::{Arc, OnceLock};

use rustls::pki_types::CertificateDer;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::{ConfigBuilder, RootCertStore, WantsVerifier};

use crate::error::Error;

/// What the builder says about TLS.
#[derive(Clone)]
pub(crate) struct TlsOptions {
    pub(crate) trust: Trust,
    pub(crate) identity: Option<Identity>,
    pub(crate) min_version: Option<Version>,
    pub(crate) max_version: Option<Version>,
    /// Send the server name (SNI, RFC 6066 §3); default on.
    pub(crate) sni: bool,
    pub(crate) provider: CryptoProvider,
    /// Verify as the operating system does (rustls-platform-verifier).
    #[cfg(feature = "platform-verifier")]
    pub(crate) platform_verifier: bool,
}

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
    /// Another verifier: the platform's.
    #[cfg(feature = "platform-verifier")]
    Custom(Arc<dyn rustls::client::danger::ServerCertVerifier>),
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
    /// The provider with the versions asked for, the step that can fail.
    builder: ConfigBuilder<rustls::ClientConfig, WantsVerifier>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    verify: Verify,
    /// The client certificate, its key checked against it.
    identity: Option<Arc<CertifiedKey>>,
    sni: bool,
    http1_only: bool,
    configs: OnceLock<Configs>,
}

impl Tls {
    /// Checks `options` now: every added certificate must parse,
    /// [`Trust::Native`] must find at least one usable system certificate,
    /// the identity's key must be usable and match its certificate, and
    /// the version bounds must leave a version.
    pub(crate) fn new(options: TlsOptions, http1_only: bool) -> Result<Self, Error> {
        let provider = Arc::new(options.provider.rustls());
        let TlsOptions { trust, identity, min_version, max_version, sni, .. } = options;
        let verify = match trust {
            Trust::DangerAcceptAny => Verify::DangerAcceptAny,
            #[cfg(feature = "platform-verifier")]
            Trust::Roots(extra) | Trust::Native(extra) if options.platform_verifier => {
                let verifier =
                    rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())
                        .map_err(|e| {
                            Error::builder(format!("the platform verifier failed: {e}")).with_source(e)
                        })?;
                Verify::Custom(Arc::new(verifier))
            }
            Trust::Roots(extra) => Verify::Roots(Arc::new(roots(webpki(), extra)?)),
            Trust::Native(extra) => Verify::Roots(Arc::new(roots(native()?, extra)?)),
            Trust::Only(extra) => Verify::Roots(Arc::new(roots(RootCertStore::empty(), extra)?)),
        };
        let versions: Vec<_> = [Version::TLS_1_3, Version::TLS_1_2]
            .into_iter()
            .filter(|v| min_version.is_none_or(|min| *v >= min) && max_version.is_none_or(|max| *v <= max))
            .map(Version::rustls)
            .collect();
        if versions.is_empty() {
            return Err(Error::builder(
                "the TLS version bounds leave no version (min_tls_version > max_tls_version)",
            ));
        }
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)
            .map_err(|e| Error::builder("TLS setup failed").with_source(e))?;
        let identity = identity
            .map(|id| {
                CertifiedKey::from_der(id.chain, id.key, &provider)
                    .map(Arc::new)
                    .map_err(|e| Error::builder(format!("invalid client identity: {e}")).with_source(e))
            })
            .transpose()?;
        Ok(Self { builder, provider, verify, identity, sni, http1_only, configs: OnceLock::new() })
    }

    /// The configuration for a connection: ALPN http/1.1 only if `force_h1`.
    pub(crate) fn config(&self, force_h1: bool) -> Arc<rustls::ClientConfig> {
        let configs = self.configs.get_or_init(|| self.build());
        if force_h1 { configs.h1.clone() } else { configs.h2.clone() }
    }

    fn build(&self) -> Configs {
        let builder = self.builder.clone();
        let builder = match &self.verify {
            Verify::Roots(roots) => builder.with_root_certificates(roots.clone()),
            #[cfg(feature = "platform-verifier")]
            Verify::Custom(verifier) => {
                builder.dangerous().with_custom_certificate_verifier(verifier.clone())
            }
            Verify::DangerAcceptAny => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(danger::AcceptAny(self.provider.clone()))),
        };
        let mut h2 = match &self.identity {
            Some(key) => builder.with_client_cert_resolver(Arc::new(SingleCertAndKey::from(key.clone()))),
            None => builder.with_no_client_auth(),
        };
        h2.enable_sni = self.sni;
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

/// The rustls error inside an I/O error from a TLS stream, if any.
pub(crate) fn rustls_error(e: &std::io::Error) -> Option<&rustls::Error> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>())
}

/// A TLS failure in words a user can act on: which side refused, and why.
/// A fatal alert from the server about certificates, before any response,
/// is about ours: the server checks only the client's certificate (RFC 8446
/// §4.4.2.4: it answers a missing one with `certificate_required`, a bad
/// one with `bad_certificate`, `unknown_ca` and the like). After the
/// handshake, with TLS 1.3, every alert before the first byte of the
/// server's is such an answer to the client's last flight, its
/// certificate and the signature proving its key (`decrypt_error`):
/// `after_handshake` says the alert came then.
pub(crate) fn describe(e: &std::io::Error, after_handshake: bool) -> String {
    use rustls::AlertDescription as A;
    match rustls_error(e) {
        Some(rustls::Error::AlertReceived(alert)) if after_handshake => {
            format!("the server rejected the client certificate after the handshake (TLS alert {alert:?})")
        }
        Some(rustls::Error::AlertReceived(
            alert @ (A::CertificateRequired
            | A::BadCertificate
            | A::UnsupportedCertificate
            | A::CertificateRevoked
            | A::CertificateExpired
            | A::CertificateUnknown
            | A::UnknownCA
            | A::AccessDenied
            | A::DecryptError),
        )) => format!("the server rejected the client certificate (TLS alert {alert:?})"),
        Some(rustls::Error::AlertReceived(alert @ A::ProtocolVersion)) => {
            format!("no TLS version in common with the server (TLS alert {alert:?})")
        }
        Some(rustls::Error::AlertReceived(alert)) => format!("the server sent TLS alert {alert:?}"),
        Some(rustls::Error::InvalidCertificate(why)) => {
            format!("the server's certificate is not accepted: {why}")
        }
        Some(rustls::Error::PeerIncompatible(why)) => {
            format!("no TLS version or cipher suite in common with the server: {why:?}")
        }
        Some(other) => other.to_string(),
        None => e.to_string(),
    }
}
