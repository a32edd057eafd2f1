"""The inventory report: stock value, turnover, cover, dead stock, ABC and XYZ."""
