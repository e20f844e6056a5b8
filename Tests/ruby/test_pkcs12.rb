# frozen_string_literal: true

require_relative "helper"
require "open3"
require "tmpdir"

# Cfcerts.make_pkcs12: bundles of both profiles that openssl opens with the password (refusing another), holding the
# key and certificate given and the CA; refused inputs raise InvalidArgument without the password in the message.
class PKCS12Test < Minitest::Test
  include EmulatorHelper

  PASSWORD = "rb p\u00e4ssword"

  def issued(key_type)
    client = new_client
    generated = Cfcerts.generate_csr("bundle.example.com", key_type: key_type)
    [generated.private_key_pem, client.client_certificates.create(zone_id: new_zone, csr: generated.csr_pem).certificate]
  ensure
    client&.close
  end

  def openssl(*arguments)
    Open3.capture3("openssl", *arguments)
  end

  def test_openssl_opens_both_profiles_and_the_key_is_the_certificates
    ca = control("GET", "/ca.pem")
    %w[p256 rsa2048].each do |key_type|
      key, certificate = issued(key_type)
      %w[modern legacy].each do |profile|
        data = Cfcerts.make_pkcs12(certificate_pem: certificate, private_key_pem: key, password: PASSWORD,
                                   chain_pems: [ca], profile: profile, friendly_name: "bundle")
        assert_equal Encoding::BINARY, data.encoding
        Dir.mktmpdir do |dir|
          File.binwrite("#{dir}/b.p12", data)
          File.write("#{dir}/key.pem", key)
          File.write("#{dir}/cert.pem", "#{certificate}\n")
          _, info, status = openssl("pkcs12", "-info", "-noout", "-in", "#{dir}/b.p12", "-passin", "pass:#{PASSWORD}")
          assert status.success?, info
          assert_includes info, profile == "modern" ? "MAC: sha256" : "MAC: sha1"
          assert_equal 2, info.scan("Certificate bag").size
          _, err, status = openssl("pkcs12", "-in", "#{dir}/b.p12", "-passin", "pass:#{PASSWORD}", "-nocerts", "-nodes",
                                   "-out", "#{dir}/extracted.pem")
          assert status.success?, err
          extracted, = openssl("pkey", "-in", "#{dir}/extracted.pem", "-pubout")
          given, = openssl("pkey", "-in", "#{dir}/key.pem", "-pubout")
          of_certificate, = openssl("x509", "-in", "#{dir}/cert.pem", "-pubkey", "-noout")
          assert_equal given, extracted
          assert_equal of_certificate, extracted
          _, err, status = openssl("pkcs12", "-info", "-noout", "-in", "#{dir}/b.p12", "-passin", "pass:rb passwort")
          refute status.success?
          assert_includes err, "Mac verify error"
        end
      end
    end
  end

  def test_refused_inputs
    key, certificate = issued("p256")
    other = Cfcerts.generate_csr("other").private_key_pem
    [{ private_key_pem: other }, { password: "" }, { profile: "rc2" }, { certificate_pem: "junk" },
     { chain_pems: ["junk"] }, { chain_pems: 5 }, { password: :symbol }].each do |change|
      arguments = { certificate_pem: certificate, private_key_pem: key, password: PASSWORD }.merge(change)
      error = assert_raises(Cfcerts::InvalidArgument, change.inspect) { Cfcerts.make_pkcs12(**arguments) }
      refute_includes error.message, PASSWORD
    end
  end
end
