package dev.wsrx.interop.cxf;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Properties;

import javax.net.ssl.KeyManagerFactory;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;

import org.apache.wss4j.common.ext.WSPasswordCallback;

/**
 * The properties WS-Policy cannot carry: keystores (WSS4J Merlin properties), the password
 * callback (private-key passwords on both sides, the server's user table for UsernameTokens),
 * and the JVM's TLS trust (the throw-away CA of interop/java/keys.sh).
 */
final class Keys {
    static final String STORE_PASSWORD = "changeit";
    static final String USER = "alice";
    static final String USER_PASSWORD = "secret";

    private Keys() {
    }

    static void installTrust(String dir) {
        System.setProperty("javax.net.ssl.trustStore", Path.of(dir, "truststore.p12").toString());
        System.setProperty("javax.net.ssl.trustStorePassword", STORE_PASSWORD);
        System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
    }

    static Properties merlin(String dir, String file, String alias) {
        Properties p = new Properties();
        p.put("org.apache.wss4j.crypto.provider", "org.apache.wss4j.common.crypto.Merlin");
        p.put("org.apache.wss4j.crypto.merlin.keystore.type", "PKCS12");
        p.put("org.apache.wss4j.crypto.merlin.keystore.password", STORE_PASSWORD);
        p.put("org.apache.wss4j.crypto.merlin.keystore.file", Path.of(dir, file).toString());
        if (alias != null) {
            p.put("org.apache.wss4j.crypto.merlin.keystore.alias", alias);
        }
        return p;
    }

    static KeyManagerFactory serverKeyManagers(String dir) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(Path.of(dir, "server.p12"))) {
            ks.load(in, STORE_PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, STORE_PASSWORD.toCharArray());
        return kmf;
    }

    /** Passwords of private keys, and the one user the server knows (alice/secret). */
    static final class Passwords implements CallbackHandler {
        @Override
        public void handle(Callback[] callbacks) {
            for (Callback c : callbacks) {
                if (c instanceof WSPasswordCallback pc) {
                    if (pc.getUsage() == WSPasswordCallback.USERNAME_TOKEN) {
                        if (USER.equals(pc.getIdentifier())) {
                            pc.setPassword(USER_PASSWORD);
                        }
                    } else {
                        pc.setPassword(STORE_PASSWORD);
                    }
                }
            }
        }
    }
}
