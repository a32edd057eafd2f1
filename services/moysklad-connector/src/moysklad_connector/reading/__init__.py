"""Reading MoySklad within a job: the context a job passes around, and what a page needs before it maps (positions
beyond the inlined ones, the product of every variant). Below sync/ and stock/, which both use it."""
