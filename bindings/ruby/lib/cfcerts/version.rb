# frozen_string_literal: true

module Cfcerts
  VERSION = "0.2.0"
end
