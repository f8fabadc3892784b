"""Use cases. Each public function owns one transaction and takes keyword-only arguments."""
