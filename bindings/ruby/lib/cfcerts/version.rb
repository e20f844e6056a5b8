# frozen_string_literal: true

module Cfcerts
  VERSION = "0.1.0"
end
