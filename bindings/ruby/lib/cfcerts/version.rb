# frozen_string_literal: true

module Cfcerts
  VERSION = "0.5.0"
end
