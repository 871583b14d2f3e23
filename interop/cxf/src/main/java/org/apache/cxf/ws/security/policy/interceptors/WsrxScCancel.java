package org.apache.cxf.ws.security.policy.interceptors;

import org.apache.cxf.binding.soap.SoapMessage;
import org.apache.cxf.ws.addressing.AddressingProperties;
import org.apache.cxf.ws.policy.AssertionInfo;
import org.apache.cxf.ws.policy.AssertionInfoMap;
import org.apache.cxf.ws.security.SecurityConstants;
import org.apache.cxf.ws.security.policy.PolicyUtils;
import org.apache.cxf.ws.security.tokenstore.SecurityToken;
import org.apache.cxf.ws.security.tokenstore.TokenStore;
import org.apache.cxf.ws.security.tokenstore.TokenStoreUtils;
import org.apache.cxf.ws.security.trust.STSClient;
import org.apache.cxf.ws.security.trust.STSUtils;
import org.apache.wss4j.policy.SPConstants;
import org.apache.wss4j.policy.model.SecureConversationToken;

/**
 * Cancels the client's SCT at the end of a session, the way CXF itself does when
 * {@code security.sts.token.do.cancel} is set (SecureConversationInInterceptor's cancel step),
 * but on demand: CXF runs that step only on the response of a two-way call and before the
 * sequence's Close/Terminate, which would need the token again. Lives in CXF's package because
 * the client set-up it reuses is package-private; it uses CXF's own STSClient, so the wire form
 * of the Cancel is CXF's.
 */
public final class WsrxScCancel {
    private WsrxScCancel() {
    }

    public static boolean usesSecureConversation(SoapMessage message) {
        AssertionInfoMap aim = message.get(AssertionInfoMap.class);
        return aim != null
                && PolicyUtils.getFirstAssertionByLocalname(aim, SPConstants.SECURE_CONVERSATION_TOKEN) != null;
    }

    /** True when CXF's STSClient reports the Cancel done (it logs and returns false on any error). */
    /** The client's current SCT (id and secret), for the test-data manifests; null if none. */
    public static SecurityToken token(SoapMessage message) throws Exception {
        SecurityToken tok = (SecurityToken) message.getContextualProperty(SecurityConstants.TOKEN);
        TokenStore store = TokenStoreUtils.getTokenStore(message);
        if (tok == null) {
            String id = (String) message.getContextualProperty(SecurityConstants.TOKEN_ID);
            if (id != null && store != null) {
                tok = store.getToken(id);
            }
        }
        return tok;
    }

    public static boolean cancel(SoapMessage message) throws Exception {
        AssertionInfoMap aim = message.get(AssertionInfoMap.class);
        AssertionInfo ai = PolicyUtils.getFirstAssertionByLocalname(aim, SPConstants.SECURE_CONVERSATION_TOKEN);
        SecureConversationToken itok = (SecureConversationToken) ai.getAssertion();
        SecurityToken tok = (SecurityToken) message.getContextualProperty(SecurityConstants.TOKEN);
        TokenStore store = TokenStoreUtils.getTokenStore(message);
        if (tok == null) {
            String id = (String) message.getContextualProperty(SecurityConstants.TOKEN_ID);
            if (id != null && store != null) {
                tok = store.getToken(id);
            }
        }
        if (tok == null) {
            throw new IllegalStateException("no security context token to cancel");
        }
        STSClient client = STSUtils.getClient(message, "sct");
        boolean done;
        synchronized (client) {
            SecureConversationTokenInterceptorProvider.setupClient(client, message, aim, itok, true);
            AddressingProperties maps = (AddressingProperties) message.get("jakarta.xml.ws.addressing.context");
            if (maps != null) {
                client.setAddressingNamespace(maps.getNamespaceURI());
            }
            done = client.cancelSecurityToken(tok);
        }
        if (store != null) {
            store.remove(tok.getId());
        }
        return done;
    }
}
