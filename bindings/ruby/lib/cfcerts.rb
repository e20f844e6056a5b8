# frozen_string_literal: true

# cfcerts: manage Cloudflare API Shield mTLS client certificates, over libcfcerts.
#
#   Cfcerts::Client.open do |client|          # credentials from CLOUDFLARE_API_TOKEN, ...
#     client.client_certificates.each(zone_id).each { |c| puts "#{c.id} #{c.status}" }
#   end
require_relative "cfcerts/version"
require_relative "cfcerts/errors"
require_relative "cfcerts/library"
require_relative "cfcerts/arguments"
require_relative "cfcerts/interruptible"
require_relative "cfcerts/models"
require_relative "cfcerts/client"
require_relative "cfcerts/associations"
require_relative "cfcerts/native_run"
require_relative "cfcerts/hook_process"
require_relative "cfcerts/bulk"
require_relative "cfcerts/fleet"
require_relative "cfcerts/fork"
