package dev.wsrx.interop.metro;

import com.sun.xml.wss.impl.callback.PasswordValidationCallback;

/** The Metro server's user table: alice/secret, the user of every UsernameToken profile. */
public class UserValidator implements PasswordValidationCallback.PasswordValidator {
    @Override
    public boolean validate(PasswordValidationCallback.Request request) {
        if (request instanceof PasswordValidationCallback.PlainTextPasswordRequest p) {
            return "alice".equals(p.getUsername()) && "secret".equals(p.getPassword());
        }
        return false;
    }
}
