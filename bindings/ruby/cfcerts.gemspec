# frozen_string_literal: true

require_relative "lib/cfcerts/version"

Gem::Specification.new do |spec|
  spec.name = "cfcerts"
  spec.version = Cfcerts::VERSION
  spec.summary = "Manage Cloudflare API Shield mTLS client certificates"
  spec.description = "Ruby bindings (ffi, no compiler needed) over libcfcerts: list, get, create, revoke and " \
                     "reactivate API Shield client certificates, and generate keys and CSRs."
  spec.authors = ["cfcerts developers"]
  spec.license = "Apache-2.0"
  spec.homepage = "https://github.com/cfcerts/cfcerts"
  spec.required_ruby_version = ">= 3.0"
  # scripts/build-gem.sh sets CFCERTS_GEM_PLATFORM (x86_64-linux) when it puts the library inside.
  spec.platform = ENV.fetch("CFCERTS_GEM_PLATFORM", Gem::Platform::RUBY)
  spec.files = Dir["lib/**/*.rb"] + Dir["lib/cfcerts/libcfcerts.so.*"] + ["README.md"]
  spec.require_paths = ["lib"]
  spec.add_dependency "ffi", ">= 1.15"
end
