#!/usr/bin/env python3
"""Writes the profile WSDLs of the CXF and Metro peers (interop/<peer>/wsdl/*.wsdl).

The WSDLs are committed; this script only keeps them consistent. Run it after changing a
profile: python3 interop/java/gen_wsdl.py. Every WSDL describes the same echo service as
wsrx's (namespace urn:example:echo, actions urn:example:echo/Echo, /EchoResponse, /Notify)
and carries its whole configuration as WS-Policy attached to the binding: WS-Addressing,
WS-RM (1.1 with SequenceSTR, or 1.0 2005/02), WS-SecurityPolicy (a SymmetricBinding whose
protection token is a SecureConversationToken with an X.509 or a UsernameToken-over-HTTPS
bootstrap), and for Metro WS-MakeConnection in one profile.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

SP12 = "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"
SP11 = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"

# name: (security, sc, rm, soap, encrypt_body, encrypt_signature, mc)
PROFILES = {
    "x509-rm11-soap12": ("x509", "13", "11", "12", False, False, False),
    "x509-enc-rm11-soap12": ("x509", "13", "11", "12", True, False, False),
    "x509-encsig-rm11-soap11": ("x509", "13", "11", "11", True, True, False),
    "x509-rm10-soap11": ("x509", "13", "10", "11", False, False, False),
    "x509-sc2005-rm10-soap11": ("x509", "2005", "10", "11", False, False, False),
    "ut-tls-rm11-soap12": ("ut-tls", "13", "11", "12", False, False, False),
    "ut-tls-enc-rm11-soap11": ("ut-tls", "13", "11", "11", True, False, False),
    "ut-tls-encsig-rm11-soap12": ("ut-tls", "13", "11", "12", True, True, False),
    "ut-tls-sc2005-rm10-soap12": ("ut-tls", "2005", "10", "12", False, False, False),
    "plain-rm11-soap12": ("none", None, "11", "12", False, False, False),
    "plain-rm10-soap11": ("none", None, "10", "11", False, False, False),
}
METRO_ONLY = {
    "mc-rm11-soap12": ("none", None, "11", "12", False, False, True),
}

DESCRIPTIONS = {
    "x509": "SC bootstrap: SymmetricBinding, protection token the server's X.509 certificate "
            "(never included; EncryptedKey to the server, derived keys), Trust {trust} with "
            "client and server entropy",
    "ut-tls": "SC bootstrap: TransportBinding (HttpsToken) + SignedSupportingTokens UsernameToken, "
              "Trust {trust} with client and server entropy; the endpoint is HTTPS",
    "none": "no security (plain WS-RM)",
}


def ind(text, n):
    pad = " " * n
    return "\n".join(pad + line if line else line for line in text.splitlines())


def rm_policy(rm, spns):
    if rm == "11":
        return f"""<wsrmp:RMAssertion xmlns:wsrmp="http://docs.oasis-open.org/ws-rx/wsrmp/200702">
  <wsp:Policy>
{ "    <wsrmp:SequenceSTR/>" if spns else "" }
    <wsrmp:DeliveryAssurance>
      <wsp:Policy>
        <wsrmp:ExactlyOnce/>
        <wsrmp:InOrder/>
      </wsp:Policy>
    </wsrmp:DeliveryAssurance>
  </wsp:Policy>
</wsrmp:RMAssertion>""".replace("\n\n", "\n")
    return """<wsrmp10:RMAssertion xmlns:wsrmp10="http://schemas.xmlsoap.org/ws/2005/02/rm/policy">
  <wsrmp10:InactivityTimeout Milliseconds="600000"/>
  <wsrmp10:AcknowledgementInterval Milliseconds="200"/>
</wsrmp10:RMAssertion>"""


def suite(name):
    return f"""<sp:AlgorithmSuite>
  <wsp:Policy>
    <sp:{name}/>
  </wsp:Policy>
</sp:AlgorithmSuite>"""


def include(spns, what):
    return f'{spns}/IncludeToken/{what}'


def trust(spns):
    t = "Trust13" if spns == SP12 else "Trust10"
    extra = "\n    <sp:MustSupportIssuedTokens/>" if spns == SP12 else ""
    return f"""<sp:{t}>
  <wsp:Policy>{extra}
    <sp:RequireClientEntropy/>
    <sp:RequireServerEntropy/>
  </wsp:Policy>
</sp:{t}>"""


def wss11():
    return """<sp:Wss11>
  <wsp:Policy>
    <sp:MustSupportRefKeyIdentifier/>
    <sp:MustSupportRefIssuerSerial/>
    <sp:MustSupportRefThumbprint/>
    <sp:MustSupportRefEncryptedKey/>
  </wsp:Policy>
</sp:Wss11>"""


def signed_parts(rm_ns):
    # With WS-RM 1.0, CXF writes its RM traffic with WS-Addressing 2004/08 (the RST/RSTR with
    # 1.0): both namespaces are signed, or its WS-A headers would go unprotected.
    old_wsa = ('\n  <sp:Header Namespace="http://schemas.xmlsoap.org/ws/2004/08/addressing"/>'
               if rm_ns.startswith("http://schemas.xmlsoap.org/ws/2005/02/rm") else "")
    return f"""<sp:SignedParts>
  <sp:Body/>
  <sp:Header Namespace="http://www.w3.org/2005/08/addressing"/>{old_wsa}
  <sp:Header Namespace="{rm_ns}"/>
</sp:SignedParts>"""


def bootstrap(sec, spns, alg):
    if sec == "x509":
        binding = f"""<sp:SymmetricBinding>
  <wsp:Policy>
    <sp:ProtectionToken>
      <wsp:Policy>
        <sp:X509Token sp:IncludeToken="{include(spns, 'Never')}">
          <wsp:Policy>
            <sp:RequireDerivedKeys/>
            <sp:RequireThumbprintReference/>
            <sp:WssX509V3Token10/>
          </wsp:Policy>
        </sp:X509Token>
      </wsp:Policy>
    </sp:ProtectionToken>
{ind(suite(alg), 4)}
    <sp:Layout>
      <wsp:Policy>
        <sp:Strict/>
      </wsp:Policy>
    </sp:Layout>
    <sp:IncludeTimestamp/>
    <sp:OnlySignEntireHeadersAndBody/>
  </wsp:Policy>
</sp:SymmetricBinding>
{wss11()}
{trust(spns)}
<sp:SignedParts>
  <sp:Body/>
  <sp:Header Namespace="http://www.w3.org/2005/08/addressing"/>
</sp:SignedParts>
<sp:EncryptedParts>
  <sp:Body/>
</sp:EncryptedParts>"""
    else:
        https = ('<sp:HttpsToken>\n          <wsp:Policy/>\n        </sp:HttpsToken>' if spns == SP12
                 else '<sp:HttpsToken RequireClientCertificate="false"/>')
        binding = f"""<sp:TransportBinding>
  <wsp:Policy>
    <sp:TransportToken>
      <wsp:Policy>
        {https}
      </wsp:Policy>
    </sp:TransportToken>
{ind(suite(alg), 4)}
    <sp:Layout>
      <wsp:Policy>
        <sp:Lax/>
      </wsp:Policy>
    </sp:Layout>
    <sp:IncludeTimestamp/>
  </wsp:Policy>
</sp:TransportBinding>
<sp:SignedSupportingTokens>
  <wsp:Policy>
    <sp:UsernameToken sp:IncludeToken="{include(spns, 'AlwaysToRecipient')}">
      <wsp:Policy>
        <sp:WssUsernameToken10/>
      </wsp:Policy>
    </sp:UsernameToken>
  </wsp:Policy>
</sp:SignedSupportingTokens>
{trust(spns)}"""
    return f"""<sp:BootstrapPolicy>
  <wsp:Policy>
{ind(binding, 4)}
  </wsp:Policy>
</sp:BootstrapPolicy>"""


def security_policy(sec, sc, rm, enc, encsig, alg):
    spns = SP12 if sc == "13" else SP11
    rm_ns = ("http://docs.oasis-open.org/ws-rx/wsrm/200702" if rm == "11"
             else "http://schemas.xmlsoap.org/ws/2005/02/rm")
    sct = f"""<sp:SecureConversationToken sp:IncludeToken="{include(spns, 'AlwaysToRecipient')}">
  <wsp:Policy>
    <sp:RequireDerivedKeys/>
{ind(bootstrap(sec, spns, alg), 4)}
  </wsp:Policy>
</sp:SecureConversationToken>"""
    encsig_line = "\n    <sp:EncryptSignature/>" if encsig else ""
    body = f"""<sp:SymmetricBinding xmlns:sp="{spns}">
  <wsp:Policy>
    <sp:ProtectionToken>
      <wsp:Policy>
{ind(sct, 8)}
      </wsp:Policy>
    </sp:ProtectionToken>
{ind(suite(alg), 4)}
    <sp:Layout>
      <wsp:Policy>
        <sp:Strict/>
      </wsp:Policy>
    </sp:Layout>
    <sp:IncludeTimestamp/>{encsig_line}
    <sp:OnlySignEntireHeadersAndBody/>
  </wsp:Policy>
</sp:SymmetricBinding>
<sp:Wss11 xmlns:sp="{spns}">
  <wsp:Policy>
    <sp:MustSupportRefKeyIdentifier/>
    <sp:MustSupportRefIssuerSerial/>
    <sp:MustSupportRefThumbprint/>
    <sp:MustSupportRefEncryptedKey/>
  </wsp:Policy>
</sp:Wss11>
{trust(spns).replace("<sp:Trust", f'<sp:Trust', 1).replace(">", f' xmlns:sp="{spns}">', 1)}
{signed_parts(rm_ns).replace("<sp:SignedParts>", f'<sp:SignedParts xmlns:sp="{spns}">', 1)}"""
    if enc:
        body += f"""
<sp:EncryptedParts xmlns:sp="{spns}">
  <sp:Body/>
</sp:EncryptedParts>"""
    return body


def wsdl(peer, name, spec):
    sec, sc, rm, soap, enc, encsig, mc = spec
    alg = "Basic256Sha256" if peer == "cxf" else "Basic256"
    soapns = ("http://schemas.xmlsoap.org/wsdl/soap12/" if soap == "12"
              else "http://schemas.xmlsoap.org/wsdl/soap/")
    parts = ["""<wsam:Addressing xmlns:wsam="http://www.w3.org/2007/05/addressing/metadata">
  <wsp:Policy/>
</wsam:Addressing>""", rm_policy(rm, sec != "none")]
    if mc:
        parts.append('<wsmc:MCSupported xmlns:wsmc="http://docs.oasis-open.org/ws-rx/wsmc/200702"/>')
    if sec != "none":
        parts.append(security_policy(sec, sc, rm, enc, encsig, alg))
    if peer == "metro":
        parts.append("""<!-- Metro negotiates FastInfoset on RM protocol messages unless told not to:
     keep every message XML (a transport encoding choice, not a security relaxation). -->
<fi:OptimizedFastInfosetSerialization xmlns:fi="http://java.sun.com/xml/ns/wsit/2006/09/policy/fastinfoset/service" enabled="false"/>""")
    policy = "\n".join(parts)
    trust_v = "1.3" if sc == "13" else "2005/02"
    what = [f"SOAP {'1.2' if soap == '12' else '1.1'}",
            "WS-RM 1.1 (2007/02)" + (" with wsrmp:SequenceSTR" if sec != "none" else "")
            if rm == "11" else "WS-RM 1.0 (2005/02, WS-Addressing as the stack pairs it)"]
    if sec != "none":
        what.append(f"WS-SecureConversation {'1.3' if sc == '13' else '2005/02'} "
                    f"({'WS-SP 1.2' if sc == '13' else 'WS-SP 1.1 (2005/07)'}), SymmetricBinding on the SCT, "
                    f"derived keys, {alg}, Timestamp, Strict layout")
        what.append(DESCRIPTIONS[sec].format(trust=trust_v))
        what.append("Body, WS-Addressing and WS-RM headers signed"
                    + ("; Body encrypted" if enc else "")
                    + ("; signature encrypted (EncryptSignature)" if encsig else ""))
    else:
        what.append(DESCRIPTIONS["none"])
    if mc:
        what.append("WS-MakeConnection 1.1 (wsmc:MCSupported): the client may use an anonymous "
                    "(wsmc:anonymous?id=) endpoint and poll with MakeConnection")
    header = "\n".join(f"       {w}" for w in what)
    soapver = "soap12" if soap == "12" else "soap"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- wsrx interop profile "{name}" for the {'Apache CXF' if peer == 'cxf' else 'Eclipse Metro'} peer.
{header}
     Generated by interop/java/gen_wsdl.py; the peer publishes it at /{name}. -->
<wsdl:definitions name="Echo" targetNamespace="urn:example:echo"
    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:{soapver}="{soapns}"
    xmlns:tns="urn:example:echo"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema"
    xmlns:wsam="http://www.w3.org/2007/05/addressing/metadata"
    xmlns:wsp="http://www.w3.org/ns/ws-policy"
    xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">
  <wsp:Policy wsu:Id="EchoPolicy">
    <wsp:ExactlyOne>
      <wsp:All>
{ind(policy, 8)}
      </wsp:All>
    </wsp:ExactlyOne>
  </wsp:Policy>
  <wsdl:types>
    <xsd:schema targetNamespace="urn:example:echo" elementFormDefault="qualified">
      <xsd:element name="echo">
        <xsd:complexType><xsd:sequence><xsd:element name="text" type="xsd:string"/></xsd:sequence></xsd:complexType>
      </xsd:element>
      <xsd:element name="echoResponse">
        <xsd:complexType><xsd:sequence><xsd:element name="text" type="xsd:string"/></xsd:sequence></xsd:complexType>
      </xsd:element>
    </xsd:schema>
  </wsdl:types>
  <wsdl:message name="EchoRequest"><wsdl:part name="body" element="tns:echo"/></wsdl:message>
  <wsdl:message name="EchoResponse"><wsdl:part name="body" element="tns:echoResponse"/></wsdl:message>
  <!-- wsrx sends the same body element for both operations; they are told apart by wsa:Action. -->
  <wsdl:portType name="Echo">
    <wsdl:operation name="Echo">
      <wsdl:input message="tns:EchoRequest" wsam:Action="urn:example:echo/Echo"/>
      <wsdl:output message="tns:EchoResponse" wsam:Action="urn:example:echo/EchoResponse"/>
    </wsdl:operation>
    <wsdl:operation name="Notify">
      <wsdl:input message="tns:EchoRequest" wsam:Action="urn:example:echo/Notify"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="EchoBinding" type="tns:Echo">
    <wsp:PolicyReference URI="#EchoPolicy"/>
    <{soapver}:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="Echo">
      <{soapver}:operation soapAction="urn:example:echo/Echo"/>
      <wsdl:input><{soapver}:body use="literal"/></wsdl:input>
      <wsdl:output><{soapver}:body use="literal"/></wsdl:output>
    </wsdl:operation>
    <wsdl:operation name="Notify">
      <{soapver}:operation soapAction="urn:example:echo/Notify"/>
      <wsdl:input><{soapver}:body use="literal"/></wsdl:input>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="EchoService">
    <wsdl:port name="EchoPort" binding="tns:EchoBinding">
      <{soapver}:address location="{'https' if sec == 'ut-tls' else 'http'}://127.0.0.1/{name}"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""


def main():
    for peer in ("cxf", "metro"):
        out = os.path.join(HERE, "..", peer, "wsdl")
        os.makedirs(out, exist_ok=True)
        profiles = dict(PROFILES)
        if peer == "metro":
            profiles.update(METRO_ONLY)
        for name, spec in profiles.items():
            with open(os.path.join(out, name + ".wsdl"), "w") as f:
                f.write(wsdl(peer, name, spec))
    return 0


if __name__ == "__main__":
    sys.exit(main())
