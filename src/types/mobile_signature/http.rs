//! `/{clientExtId}/users/{userExtId}/mobile-signature` (seed 001). nevisIDM grants no
//! self-admin mode here, so every operation needs a Bearer token with admin permissions.


use super::{MobileSignature, MobileSignatureCredential};
use crate::api::schema::{create_body, patch_body};
use crate::api::kind::{Docs, HttpKind, Named, named};
use crate::domain::state::CredentialState;

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

create_body! {
    /// POST `.../mobile-signature` (seed 001).
    MobileSignatureCreate {
        /// A `MobileSignaturePolicy` of the client; the default policy when absent.
        policy_ext_id,
        /// Default `active`.
        state_name: CredentialState,
        #[schema(min_length = 1, max_length = 50, pattern = r"\S")]
        identificator: String,
        /// Required unless the policy has a `defaultMsspIdentifier`, which it defaults to.
        #[schema(nullable = false, min_length = 1, max_length = 50, pattern = r"\S")]
        mssp_identifier: Option<String>,
        /// Must match the policy's `validation.msisdn.regex` when it has one (422
        /// `errors.policyViolation`).
        #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
        msisdn: String,
        /// One PEM-encoded X.509 certificate; `null` or absent: none.
        #[schema(max_length = 4000)]
        signer_cert: Option<String>,
    }
}

patch_body! {
    /// PATCH `.../mobile-signature` (seed 001): JSON Merge Patch.
    MobileSignaturePatch {
        state_name: CredentialState,
        /// Another `MobileSignaturePolicy`; `null`: back to the client's default one. Its
        /// `validation.msisdn.regex` then checks the (new or stored) `msisdn`.
        #[schema(
            min_length = 1,
            max_length = 255,
            pattern = r"^[^\x00-\x1F\x7F-\x9F/]+$"
        )]
        policy_ext_id: Option<String>,
        #[schema(nullable = false, min_length = 1, max_length = 50, pattern = r"\S")]
        identificator: Option<String>,
        #[schema(nullable = false, min_length = 1, max_length = 50, pattern = r"\S")]
        mssp_identifier: Option<String>,
        /// Checked against the policy's `validation.msisdn.regex`.
        #[schema(nullable = false, min_length = 1, max_length = 64, pattern = r"\S")]
        msisdn: Option<String>,
        /// One PEM-encoded X.509 certificate; `null` removes it.
        #[schema(max_length = 4000)]
        signer_cert: Option<String>,
    }
}

