//! `/{clientExtId}/users/{userExtId}/mobile-signature` (seed 001). nevisIDM grants no
//! self-admin mode here, so every operation needs a Bearer token with admin permissions.

use super::kind::{Docs, HttpKind, Named, named};
use super::schema::{MobileSignatureCreate, MobileSignaturePatch};
use crate::domain::view::MobileSignatureCredential;
use crate::service::mobile_signature::MobileSignature;

impl HttpKind for MobileSignature {
    const SEGMENT: &'static str = "mobile-signature";
    const TAG: &'static str = "mobile-signature";
    const OPERATION: &'static str = "MobileSignature";
    const DOCS: Docs = Docs {
        create: "Create the user's mobile signature (`CredentialCreate`); a second one is 409\n`errors.mobileSignatureExists`.",
        created: "Created",
        get: "The user's mobile signature (`CredentialView`).",
        got: "The mobile signature credential",
        patch: "Change state, comment, policy, identificator, MSSP, msisdn or certificate\n(`CredentialModify`).",
        patched: "The mobile signature after the change",
        delete: "Delete the user's mobile signature (`CredentialDelete`).",
        list: "",
    };
    const CREATE_BODY: Named = named::<MobileSignatureCreate>();
    const PATCH_BODY: Named = named::<MobileSignaturePatch>();
    const VIEW: Named = named::<MobileSignatureCredential>();
}
