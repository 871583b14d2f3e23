//! The SOAP fault model and how it is read in both versions (SOAP 1.2 part 1 §5.4;
//! SOAP 1.1 §4.4), and the fault each [`SoapError`] answers with. Writing a fault into an
//! envelope is in `fault_writer.rs` (it needs the envelope writer, which needs this model).

use wsrx_xml::Element;

use crate::error::SoapError;
use crate::ns::{SOAP11, SOAP12};
use crate::qname::QName;
use crate::version::SoapVersion;

/// The top-level fault code (SOAP 1.2 part 1 §5.4.6; SOAP 1.1 §4.4.1 names in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultCode {
    /// The envelope namespace was not one we support.
    VersionMismatch,
    /// A mandatory header block was not understood.
    MustUnderstand,
    /// SOAP 1.2 only: unsupported encoding style.
    DataEncodingUnknown,
    /// The message was wrong (SOAP 1.1 `Client`).
    Sender,
    /// We failed to process a correct message (SOAP 1.1 `Server`).
    Receiver,
}

impl FaultCode {
    pub(crate) fn local(self, version: SoapVersion) -> &'static str {
        match (self, version) {
            (Self::VersionMismatch, _) => "VersionMismatch",
            (Self::MustUnderstand, _) => "MustUnderstand",
            (Self::DataEncodingUnknown, SoapVersion::V12) => "DataEncodingUnknown",
            (Self::Sender, SoapVersion::V12) => "Sender",
            (Self::Receiver, SoapVersion::V12) => "Receiver",
            (Self::Sender | Self::DataEncodingUnknown, SoapVersion::V11) => "Client",
            (Self::Receiver, SoapVersion::V11) => "Server",
        }
    }

    fn from_local(local: &str) -> Option<Self> {
        // SOAP 1.1 allows dotted refinements such as `Client.Authentication`.
        let base = local.split('.').next().unwrap_or(local);
        Some(match base {
            "VersionMismatch" => Self::VersionMismatch,
            "MustUnderstand" => Self::MustUnderstand,
            "DataEncodingUnknown" => Self::DataEncodingUnknown,
            "Sender" | "Client" => Self::Sender,
            "Receiver" | "Server" => Self::Receiver,
            _ => return None,
        })
    }
}

/// A SOAP fault, independent of the version it is written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The top-level code.
    pub code: FaultCode,
    /// SOAP 1.2 subcodes, outermost first (for example `wsrm:SequenceTerminated`).
    pub subcodes: Vec<QName>,
    /// Human-readable reason (English).
    pub reason: String,
    /// Detail entries, each a standalone XML fragment declaring its namespaces.
    pub detail: Vec<String>,
    /// For `MustUnderstand`: the header blocks not understood (SOAP 1.2 part 1
    /// §5.4.8 `NotUnderstood` headers).
    pub not_understood: Vec<QName>,
    /// In SOAP 1.1, write the first subcode as `faultcode` instead of
    /// `Client`/`Server` (the WS-Addressing SOAP 1.1 binding does this).
    pub subcode_as_soap11_code: bool,
}

impl Fault {
    /// A fault with a code and reason and nothing else.
    pub fn new(code: FaultCode, reason: impl Into<String>) -> Self {
        Self {
            code,
            subcodes: Vec::new(),
            reason: reason.into(),
            detail: Vec::new(),
            not_understood: Vec::new(),
            subcode_as_soap11_code: false,
        }
    }

    /// Adds a subcode (builder style).
    pub fn with_subcode(mut self, namespace: &str, local: &str) -> Self {
        self.subcodes.push(QName::new(namespace, local));
        self
    }

    /// Adds a detail fragment (builder style).
    pub fn with_detail(mut self, xml: impl Into<String>) -> Self {
        self.detail.push(xml.into());
        self
    }

    /// The first subcode, if any.
    pub fn subcode(&self) -> Option<&QName> {
        self.subcodes.first()
    }

    /// Reads a `Fault` element of either version.
    pub fn parse(fault: Element<'_>, version: SoapVersion) -> Result<Self, SoapError> {
        match version {
            SoapVersion::V12 => Self::parse12(fault),
            SoapVersion::V11 => Self::parse11(fault),
        }
    }

    fn parse12(fault: Element<'_>) -> Result<Self, SoapError> {
        let code = fault
            .child(SOAP12, "Code")
            .ok_or(SoapError::InvalidFault("Code missing"))?;
        let value = code
            .child(SOAP12, "Value")
            .ok_or(SoapError::InvalidFault("Code/Value missing"))?;
        let top = QName::resolve(value, &value.text())
            .ok_or(SoapError::InvalidFault("bad Code/Value"))?;
        if top.namespace != SOAP12 {
            return Err(SoapError::InvalidFault(
                "Code/Value not in the SOAP namespace",
            ));
        }
        let code = FaultCode::from_local(&top.local)
            .ok_or(SoapError::InvalidFault("unknown fault code"))?;
        let mut fault_model = Self::new(code, "");
        let mut cur = value.parent();
        while let Some(sub) = cur.and_then(|c| c.child(SOAP12, "Subcode")) {
            if let Some(v) = sub.child(SOAP12, "Value") {
                fault_model.subcodes.push(
                    QName::resolve(v, &v.text()).ok_or(SoapError::InvalidFault("bad Subcode"))?,
                );
            }
            cur = Some(sub);
        }
        if let Some(text) = fault
            .child(SOAP12, "Reason")
            .and_then(|r| r.child(SOAP12, "Text"))
        {
            fault_model.reason = text.text().into_owned();
        }
        if let Some(detail) = fault.child(SOAP12, "Detail") {
            fault_model.detail = detail.child_elements().map(|e| e.to_xml()).collect();
        }
        Ok(fault_model)
    }

    fn parse11(fault: Element<'_>) -> Result<Self, SoapError> {
        let code_el = fault
            .child("", "faultcode")
            .ok_or(SoapError::InvalidFault("faultcode missing"))?;
        let code = QName::resolve(code_el, &code_el.text())
            .ok_or(SoapError::InvalidFault("bad faultcode"))?;
        let mut fault_model = match (code.namespace.as_str(), FaultCode::from_local(&code.local)) {
            (SOAP11, Some(c)) => Self::new(c, ""),
            // A non-SOAP QName (WS-A, WCF's wsrm:WsrmRequired) stands for a Client fault with that subcode.
            _ => {
                let mut f = Self::new(FaultCode::Sender, "");
                f.subcodes.push(code);
                f.subcode_as_soap11_code = true;
                f
            }
        };
        if let Some(s) = fault.child("", "faultstring") {
            fault_model.reason = s.text().into_owned();
        }
        if let Some(detail) = fault.child("", "detail") {
            fault_model.detail = detail.child_elements().map(|e| e.to_xml()).collect();
        }
        Ok(fault_model)
    }
}

impl SoapError {
    /// The fault to answer with.
    pub fn to_fault(&self) -> Fault {
        match self {
            Self::VersionMismatch => Fault::new(
                FaultCode::VersionMismatch,
                "Unsupported SOAP envelope namespace",
            ),
            Self::MustUnderstand(names) => {
                let mut f = Fault::new(
                    FaultCode::MustUnderstand,
                    "One or more mandatory header blocks not understood",
                );
                f.not_understood.clone_from(names);
                f
            }
            other => Fault::new(FaultCode::Sender, other.to_string()),
        }
    }
}
